using System.Text;

namespace EdgeNet.Runtime.Cli;

/// <summary>
/// A plain aligned text table. The runtime prints with this rather than Spectre.Console to keep
/// the NativeAOT binary small for the board.
/// </summary>
internal sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public TextTable Add(params string[] cells)
    {
        _rows.Add(cells);
        return this;
    }

    public void WriteTo(TextWriter w)
    {
        int[] widths = Array.ConvertAll(headers, h => h.Length);
        foreach (var row in _rows)
        {
            for (int i = 0; i < widths.Length && i < row.Length; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].Length);
            }
        }

        w.WriteLine(Line(headers, widths));
        w.WriteLine(string.Join("  ", Array.ConvertAll(widths, n => new string('-', n))));
        foreach (var row in _rows)
        {
            w.WriteLine(Line(row, widths));
        }
    }

    private static string Line(string[] cells, int[] widths)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < widths.Length; i++)
        {
            string c = i < cells.Length ? cells[i] : "";
            sb.Append(i == widths.Length - 1 ? c : c.PadRight(widths[i] + 2));
        }

        return sb.ToString().TrimEnd();
    }
}
