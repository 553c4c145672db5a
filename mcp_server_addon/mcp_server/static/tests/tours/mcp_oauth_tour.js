import { registry } from "@web/core/registry";

/**
 * A user connects an MCP client through OAuth, then takes the access back: the consent screen
 * names the client and offers read only or read and write; Allow sends the browser back to the
 * client's redirect URI (here a page of this Odoo, so that the tour goes on) with a code; the
 * Connected Clients list of the MCP app shows the client, and one click (and its confirmation)
 * revokes it.
 * tests/test_ui.py registers the client, starts the tour at its authorization URL and checks the
 * grant afterwards.
 */
registry.category("web_tour.tours").add("mcp_oauth_consent_tour", {
    steps: () => [
        {
            content: "The consent screen names the client",
            trigger: "form#mcp_oauth_consent .mcp_oauth_client_name:contains(Tour Client)",
        },
        {
            content: "It offers read and write, since the client asked for it",
            trigger: "form#mcp_oauth_consent input[name=access][value=write]",
        },
        {
            content: "Grant read only",
            trigger: "form#mcp_oauth_consent input[name=access][value=read]",
            run: "click",
        },
        {
            content: "Allow",
            trigger: "form#mcp_oauth_consent button[name=decision][value=allow]",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The browser is back at the client's redirect URI, with a code and the state",
            trigger: ".o_web_client .o_action_manager",
            run() {
                const params = new URLSearchParams(window.location.search);
                if (!params.has("mcp_oauth_test") || !params.get("code")?.startsWith("mcpoc_")) {
                    throw new Error(`no code in the redirect: ${window.location.href}`);
                }
                if (params.get("state") !== "tour-state") {
                    throw new Error(`the state did not come back: ${window.location.href}`);
                }
            },
        },
        {
            content: "Open Connected Clients in the MCP app's menu",
            trigger: ".o_menu_sections [data-menu-xmlid='mcp_server.mcp_oauth_grant_menu']",
            run: "click",
        },
        {
            content: "The client is listed, read only",
            trigger: ".o_list_view .o_data_row:contains(Tour Client):contains(Read only)",
        },
        {
            content: "Revoke it in one click",
            trigger: ".o_data_row:contains(Tour Client) button[name=action_revoke]",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal:contains(Its tokens are refused at once) .modal-footer button.btn-primary:contains(Ok)",
            run: "click",
        },
        {
            content: "It is gone from the list",
            trigger: ".o_list_view:not(:has(.o_data_row:contains(Tour Client)))",
        },
    ],
});
