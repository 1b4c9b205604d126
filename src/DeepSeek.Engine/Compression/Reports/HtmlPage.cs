using System.Text;
using static DeepSeek.Engine.Compression.Reports.HtmlText;

namespace DeepSeek.Engine.Compression.Reports;

/// <summary>The shell every report page shares: the head (a Content-Security-Policy that forbids scripts and loading anything,
/// the inline style sheet), a header with a link per section, and the footer.</summary>
internal static class HtmlPage
{
    /// <summary>Opens the page up to <c>&lt;main&gt;</c>.</summary>
    /// <param name="html">Where the page goes.</param>
    /// <param name="title">The page title (encoded here).</param>
    /// <param name="heading">The header's heading (plain text).</param>
    /// <param name="subtitle">The line under it, already HTML.</param>
    /// <param name="sectionIds">The sections' ids, linked in order.</param>
    public static void Open(StringBuilder html, string title, string heading, string subtitle, IEnumerable<string> sectionIds)
    {
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(Encode(title)).Append("</title>\n<style>").Append(HtmlReportStyle.Css).Append("</style>\n</head>\n<body>\n")
            .Append("<header><h1>").Append(Encode(heading)).Append("</h1><p class=\"subtitle\">").Append(subtitle).Append("</p>\n<nav>");
        foreach (var id in sectionIds)
        {
            html.Append("<a href=\"#").Append(id).Append("\">").Append(id).Append("</a> ");
        }

        html.Append("</nav></header>\n<main>\n");
    }

    /// <summary>Closes <c>&lt;main&gt;</c> and the page, with a footer naming <paramref name="writer"/>.</summary>
    public static void Close(StringBuilder html, string writer)
        => html.Append("</main>\n<footer>Written by ").Append(Encode(writer)).Append(" (report schema ").Append(ReportWriter.SchemaVersion)
            .Append("). One self-contained page: no script, nothing loaded from anywhere.</footer>\n</body>\n</html>\n");

    /// <summary>A row of a two-column facts table.</summary>
    public static void Row(StringBuilder html, string name, string value)
        => html.Append("<tr><th>").Append(name).Append("</th><td>").Append(value).Append("</td></tr>\n");

    /// <summary>The page as UTF-8 without a byte-order mark.</summary>
    public static void WriteTo(string page, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        stream.Write(new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(page));
    }
}
