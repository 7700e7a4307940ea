"""The HTML run report behind :func:`agentkit.report.render_html`: a view model and its renderer."""
