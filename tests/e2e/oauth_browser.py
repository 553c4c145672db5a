"""A person at a browser, for the OAuth tests: Odoo's own login form, then the consent form.

``requests`` plays the browser: it keeps the session cookie, posts each form with the hidden inputs
(Odoo's ``csrf_token`` included) that the page carries, follows redirects only while they stay on
the Odoo server, and stops at the redirect that leaves it (to the client's ``redirect_uri``), whose
query carries the ``code`` or the ``error``. Nothing of the OAuth protocol is spelled here: the
parameters come from the authorization URL the client built and from the forms Odoo rendered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

#: Seconds allowed for one page.
TIMEOUT = 30
#: Bound on the redirects of one navigation.
MAX_REDIRECTS = 10


@dataclass
class Form:
    """One ``<form>`` of a page: where it posts, and its fields as a browser would send them."""

    attrs: dict[str, str]
    #: (name, value) of the inputs a browser submits as the page stands (checked boxes only)
    fields: list[tuple[str, str]] = field(default_factory=list)
    #: (name, value, checked) of every radio button and checkbox
    choices: list[tuple[str, str, bool]] = field(default_factory=list)
    #: (name, value) of the submit buttons
    buttons: list[tuple[str, str]] = field(default_factory=list)

    def hidden(self) -> dict[str, str]:
        return dict(self.fields)

    def choice_values(self, name: str) -> list[str]:
        return [value for n, value, _checked in self.choices if n == name]


#: Elements that have no end tag.
_VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._current: Form | None = None
        self.text: list[str] = []
        self._classes: list[tuple[str, list[str]]] = []  # (tag, classes) of open elements with a class
        self.by_class: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {name: value or "" for name, value in attrs_list}
        classes = attrs.get("class", "").split()
        if classes and tag not in _VOID:
            self._classes.append((tag, classes))
        if tag == "form":
            self._current = Form(attrs)
            self.forms.append(self._current)
            return
        form = self._current
        if form is None or "name" not in attrs:
            return
        name, value = attrs["name"], attrs.get("value", "")
        kind = attrs.get("type", "text" if tag == "input" else "submit").lower()
        if tag == "button" or kind == "submit":
            form.buttons.append((name, value))
        elif kind in ("radio", "checkbox"):
            checked = "checked" in attrs
            form.choices.append((name, value, checked))
            if checked:
                form.fields.append((name, value))
        elif tag in ("input", "textarea", "select"):
            form.fields.append((name, value))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None
        if self._classes and self._classes[-1][0] == tag:
            self._classes.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        for _tag, classes in self._classes:
            for name in classes:
                self.by_class.setdefault(name, []).append(data)


@dataclass
class Page:
    url: str
    status: int
    html: str
    forms: list[Form]
    by_class: dict[str, list[str]]
    text: str

    def form(self, **match: str) -> Form:
        """The form whose attributes include ``match`` (e.g. ``id="mcp_oauth_consent"``)."""
        for form in self.forms:
            if all(form.attrs.get(k) == v for k, v in match.items()):
                return form
        raise AssertionError(f"no form with {match} on {self.url} ({self.status}):\n{self.text[:2000]}")

    def class_text(self, name: str) -> str:
        return " ".join(" ".join(self.by_class.get(name, [])).split())


def parse(response: requests.Response) -> Page:
    parser = _Forms()
    parser.feed(response.text)
    return Page(
        url=response.url,
        status=response.status_code,
        html=response.text,
        forms=parser.forms,
        by_class=parser.by_class,
        text=" ".join(" ".join(parser.text).split()),
    )


@dataclass
class Redirect:
    """Where Odoo sent the browser off the server: the client's ``redirect_uri`` and its query."""

    location: str
    params: dict[str, str]
    status: int

    @property
    def code(self) -> str | None:
        return self.params.get("code")

    @property
    def state(self) -> str | None:
        return self.params.get("state")

    @property
    def iss(self) -> str | None:
        return self.params.get("iss")

    @property
    def error(self) -> str | None:
        return self.params.get("error")


class Browser:
    """One browser profile (one cookie jar) on the Odoo at ``base``."""

    def __init__(self, base: str):
        self.base = base.rstrip("/")
        self.origin = urlsplit(self.base)[:2]
        self.session = requests.Session()

    def _navigate(
        self, method: str, url: str, data: dict | list | None = None
    ) -> requests.Response | Redirect:
        """One navigation: follows redirects on this server; a redirect elsewhere is returned as is."""
        response = self.session.request(method, url, data=data, allow_redirects=False, timeout=TIMEOUT)
        for _ in range(MAX_REDIRECTS):
            if response.status_code not in (301, 302, 303, 307, 308):
                return response
            location = urljoin(response.url, response.headers["Location"])
            if urlsplit(location)[:2] != self.origin:
                query = parse_qs(urlsplit(location).query)
                return Redirect(location, {k: v[0] for k, v in query.items()}, response.status_code)
            response = self.session.get(location, allow_redirects=False, timeout=TIMEOUT)
        raise AssertionError(f"more than {MAX_REDIRECTS} redirects from {url}")

    def open(self, url: str) -> Page | Redirect:
        got = self._navigate("GET", url)
        return got if isinstance(got, Redirect) else parse(got)

    def submit(self, page: Page, form: Form, data: list[tuple[str, str]]) -> Page | Redirect:
        action = urljoin(page.url, form.attrs.get("action") or page.url)
        got = self._navigate(form.attrs.get("method", "get").upper(), action, data)
        return got if isinstance(got, Redirect) else parse(got)

    def login(self, page: Page, login: str, password: str) -> Page | Redirect:
        """Sign in through Odoo's login form on ``page`` (wherever Odoo sent the browser to sign in)."""
        form = next((f for f in page.forms if f.attrs.get("action", "").startswith("/web/login")), None)
        assert form is not None, f"no login form on {page.url}:\n{page.text[:2000]}"
        assert "csrf_token" in form.hidden(), "Odoo's login form carries a csrf_token"
        data = [(k, v) for k, v in form.fields if k not in ("login", "password")]
        return self.submit(page, form, [*data, ("login", login), ("password", password)])

    def consent_page(self, authorize_url: str, login: str, password: str) -> Page | Redirect:
        """Open the client's authorization URL, signing in first if Odoo asks for it."""
        got = self.open(authorize_url)
        if isinstance(got, Page) and urlsplit(got.url).path == "/web/login":
            got = self.login(got, login, password)
        return got

    def consent(
        self,
        page: Page,
        *,
        decision: str = "allow",
        access: str | None = None,
        models: list[str] | None = None,
    ) -> Redirect:
        """Answer the consent form: ``decision`` allow or deny, ``access`` read or write (as the page
        preselected it when ``None``), ``models`` a subset to tick (none ticked when ``None``)."""
        form = page.form(id="mcp_oauth_consent")
        assert "csrf_token" in form.hidden(), "the consent form carries Odoo's csrf_token"
        data = [(k, v) for k, v in form.fields if k not in ("access", "models", "decision")]
        if access is None:
            access = dict(form.fields).get("access")
        if access is not None:
            assert access in form.choice_values("access"), (access, form.choices)
            data.append(("access", access))
        for model in models or ():
            assert model in form.choice_values("models"), (model, form.choices)
            data.append(("models", model))
        assert ("decision", decision) in form.buttons, form.buttons
        data.append(("decision", decision))
        got = self.submit(page, form, data)
        assert isinstance(got, Redirect), f"the consent did not send the browser back to the client: {got}"
        assert got.status == 303, f"the consent answers with a 303 See Other, not {got.status}"
        return got

    def authorize(
        self,
        authorize_url: str,
        login: str,
        password: str,
        **answer: object,
    ) -> Redirect:
        """The whole visit: sign in, see the consent form, answer it; the redirect to the client."""
        page = self.consent_page(authorize_url, login, password)
        assert isinstance(page, Page), f"Odoo sent the browser back before the consent form: {page}"
        return self.consent(page, **answer)  # type: ignore[arg-type]
