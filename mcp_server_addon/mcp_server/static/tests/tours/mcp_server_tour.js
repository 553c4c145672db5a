import { registry } from "@web/core/registry";

/**
 * An MCP administrator enables a model through the selection wizard, gives it the write right
 * with the list's toggle, then creates an MCP key and sees it once, with a link to the Connect a
 * Client view, which gives the /mcp address and the snippets to paste into each client.
 * tests/test_ui.py starts it at /odoo/mcp-models?debug=1 and checks the database afterwards.
 */
registry.category("web_tour.tours").add("mcp_server_tour", {
    steps: () => [
        {
            content: "The enabled-models list is open",
            trigger: ".o_list_view .o_breadcrumb:contains(Enabled Models)",
        },
        {
            content: "Open the selection wizard from the list header",
            trigger: ".o_control_panel button:contains(Enable Models)",
            run: "click",
        },
        {
            content: "Look for Partner Tags by technical name",
            trigger: ".modal .o_field_widget[name=model_ids] input",
            run: "edit res.partner.category",
        },
        {
            content: "Pick it",
            trigger: ".o-autocomplete--dropdown-item:contains(Partner Tags)",
            run: "click",
        },
        {
            content: "It is selected; technical models are not offered",
            trigger: ".modal .o_field_widget[name=model_ids] .o_tag:contains(Partner Tags)",
        },
        {
            content: "Enable it with the default rights",
            trigger: ".modal button[name=action_enable]",
            run: "click",
        },
        {
            content: "The dialog closes and the list shows the new row, readable but not writable",
            trigger:
                "body:not(:has(.modal)) .o_data_row:contains(res.partner.category) " +
                "td[name=allow_read] input:checked",
        },
        {
            trigger: ".o_data_row:contains(res.partner.category) td[name=allow_write] input:not(:checked)",
        },
        {
            content: "Give it the write right with the toggle",
            trigger: ".o_data_row:contains(res.partner.category) td[name=allow_write] .o_boolean_toggle input",
            run: "click",
        },
        {
            content: "The toggle is on",
            trigger: ".o_data_row:contains(res.partner.category) td[name=allow_write] input:checked",
        },
        {
            content: "Nothing is left unsaved",
            trigger: ".o_list_view:not(:has(.o_list_button_save:visible))",
        },
        {
            content: "Open the Technical menu",
            trigger: ".o_menu_sections [data-menu-xmlid='base.menu_custom']",
            run: "click",
        },
        {
            content: "Open MCP > Keys",
            trigger: ".dropdown-item[data-menu-xmlid='mcp_server.mcp_api_key_menu']",
            run: "click",
        },
        {
            content: "The keys list is open",
            trigger: ".o_list_view .o_breadcrumb:contains(MCP Keys)",
        },
        {
            content: "Open the key wizard",
            trigger: ".o_control_panel button:contains(New Key)",
            run: "click",
        },
        {
            content: "Describe the key",
            trigger: ".modal .o_field_widget[name=name] input",
            run: "edit Tour key",
        },
        {
            content: "Generate it",
            trigger: ".modal button[name=action_generate]",
            run: "click",
        },
        {
            content: "The key is shown once, with the warning",
            trigger: ".modal:contains(Copy it now, it will not be shown again)",
        },
        {
            content: "The dialog carries the key itself",
            trigger: ".modal .o_field_widget[name=key]",
            run() {
                if (!/mcp_[a-z2-7]{40}/.test(this.anchor.textContent)) {
                    throw new Error("the key dialog shows no MCP key");
                }
            },
        },
        {
            content: "The dialog links to the Connect a Client view",
            trigger: ".modal a.o_mcp_connect_link[href='/odoo/mcp-connect']",
        },
        {
            content: "Close the dialog",
            trigger: ".modal button:contains(Done)",
            run: "click",
        },
        {
            content: "The new key is listed, without its secret",
            trigger: "body:not(:has(.modal)) .o_data_row:contains(Tour key)",
        },
        {
            content: "Open the Technical menu again",
            trigger: ".o_menu_sections [data-menu-xmlid='base.menu_custom']",
            run: "click",
        },
        {
            content: "Open MCP > Connect a Client",
            trigger: ".dropdown-item[data-menu-xmlid='mcp_server.mcp_connect_menu']",
            run: "click",
        },
        {
            content: "The view gives this server's /mcp address",
            trigger: ".o_field_widget[name=url]:contains(/mcp)",
        },
        {
            content: "and a Claude Code command filled in with it",
            trigger: ".o_field_widget[name=claude_code]:contains(claude mcp add --transport http odoo)",
        },
        {
            content: "and the VS Code mcp.json with the bearer header",
            trigger: ".o_field_widget[name=vscode]:contains(Authorization)",
        },
    ],
});
