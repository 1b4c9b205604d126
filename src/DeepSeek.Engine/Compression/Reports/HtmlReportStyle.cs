namespace DeepSeek.Engine.Compression.Reports;

/// <summary>The HTML report's style sheet, inlined in the page (system fonts only: nothing is loaded).</summary>
internal static class HtmlReportStyle
{
    public const string Css = """

        :root { --met: #1a7f37; --missed: #cf222e; --first: #8c959f; --second: #0969da; --line: #d0d7de; }
        body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 0; color: #1f2328; background: #fff; }
        header, main, footer { max-width: 1100px; margin: 0 auto; padding: 0 24px; }
        header { padding-top: 16px; border-bottom: 1px solid var(--line); }
        h1 { margin: 0 0 4px; font-size: 26px; }
        h2 { margin: 28px 0 10px; font-size: 20px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
        h3 { margin: 18px 0 4px; font-size: 16px; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
        .subtitle { margin: 0 0 8px; color: #59636e; word-break: break-all; }
        nav { margin-bottom: 10px; }
        nav a { margin-right: 12px; color: var(--second); text-decoration: none; }
        table { border-collapse: collapse; margin: 8px 0 12px; }
        th, td { border: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: middle; }
        thead th { background: #f6f8fa; }
        table.facts th { background: #f6f8fa; width: 130px; }
        table.numbers td + td, td.n, td.value, td.threshold { text-align: right; font-variant-numeric: tabular-nums; }
        .path, code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; word-break: break-all; }
        .recipe { font-weight: 600; }
        .met { color: var(--met); font-weight: 600; }
        .missed { color: var(--missed); font-weight: 600; }
        tr.check-met td:first-child { border-left: 4px solid var(--met); }
        tr.check-missed td:first-child { border-left: 4px solid var(--missed); }
        .warning { margin: 0; padding: 6px 10px; background: #fff8c5; border-left: 4px solid #d4a72c; }
        .not-measured, .none { color: #59636e; }
        .float { color: var(--second); font-weight: 600; }
        ol.attempts li { margin: 4px 0; }
        article.output { margin-bottom: 16px; }
        svg.chart { display: block; margin: 6px 0 14px; font-size: 12px; }
        svg text { fill: #1f2328; }
        svg text.tick { font-size: 10px; fill: #59636e; }
        rect.first { fill: var(--first); }
        rect.second { fill: var(--second); }
        rect.track { fill: #eaeef2; }
        rect.bar.met { fill: var(--met); }
        rect.bar.missed { fill: var(--missed); }
        line.threshold { stroke: #1f2328; stroke-width: 2; }
        footer { margin-top: 32px; padding-bottom: 24px; color: #59636e; font-size: 13px; border-top: 1px solid var(--line); padding-top: 8px; }

        """;
}
