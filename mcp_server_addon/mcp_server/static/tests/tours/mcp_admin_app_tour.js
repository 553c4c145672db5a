import { registry } from "@web/core/registry";

const dashboardOpens = [
    {
        content: "The dashboard opens on its graph",
        trigger: ".o_graph_view .o_breadcrumb:contains(MCP Dashboard)",
    },
    {
        content: "It draws the requests",
        trigger: ".o_graph_view canvas",
    },
];

/** The MCP app opens on its dashboard (tests/test_ui.py starts it at /odoo/mcp-dashboard). */
registry.category("web_tour.tours").add("mcp_dashboard_tour", { steps: () => dashboardOpens });

/**
 * An MCP administrator opens the MCP app's dashboard, looks at the pivot, then runs a tool in the
 * playground and sees its answer and its audit row. tests/test_ui.py starts it at /odoo/mcp-dashboard.
 */
registry.category("web_tour.tours").add("mcp_admin_app_tour", {
    steps: () => [
        ...dashboardOpens,
        {
            content: "Switch to the pivot",
            trigger: ".o_switch_view.o_pivot",
            run: "click",
        },
        {
            content: "The pivot counts the requests per model",
            trigger: ".o_pivot table th:contains(res.partner)",
        },
        {
            content: "Open the playground from the app's menu",
            trigger: ".o_menu_sections [data-menu-xmlid='mcp_server.mcp_playground_menu']",
            run: "click",
        },
        {
            content: "Pick the tool that lists the models",
            trigger: ".modal .o_field_widget[name=tool] .o_selection_badge:contains(List Models)",
            run: "click",
        },
        {
            content: "Its arguments are filled from its schema",
            trigger: ".modal .o_field_widget[name=tool] .o_selection_badge.active:contains(List Models)",
        },
        {
            content: "Run it",
            trigger: ".modal button[name=action_run]",
            run: "click",
        },
        {
            content: "The answer lists the enabled models",
            trigger: ".modal .o_field_widget[name=result]:contains(res.partner)",
        },
        {
            content: "and the call's audit row is shown",
            trigger: ".modal .o_field_widget[name=log_ids] .o_data_row:contains(list_models)",
        },
    ],
});

/** A partner changed through /mcp/xmlrpc/object says so in its chatter. */
registry.category("web_tour.tours").add("mcp_via_chatter_tour", {
    steps: () => [
        {
            content: "The partner's chatter marks the change made through MCP",
            trigger: ".o-mail-Chatter .o-mail-Message:contains(via MCP)",
            run() {
                this.anchor.scrollIntoView({ block: "center" });
            },
        },
    ],
});
