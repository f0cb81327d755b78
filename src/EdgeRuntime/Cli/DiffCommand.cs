using System.CommandLine;
using System.Globalization;
using EdgeNet.Formats.Enb;

namespace EdgeNet.Runtime.Cli;

/// <summary><c>edgenet diff A.enb B.enb</c>: metadata and graph differences, and per tensor how much its values moved.</summary>
internal static class DiffCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Create(TextWriter o, TextWriter e)
    {
        var first = new Argument<FileInfo>("a") { Description = "the first blob (e.g. before a fine-tune)" };
        var second = new Argument<FileInfo>("b") { Description = "the second blob (e.g. after)" };
        var all = new Option<bool>("--all") { Description = "list the tensors that did not change too" };
        var cmd = new Command("diff", "What differs between two blobs: metadata, graph, and per tensor the largest and mean change (which layers a fine-tune touched).") { first, second, all };
        cmd.SetAction(p => EdgenetCli.Guard(e, () =>
        {
            using var a = BlobReader.Open(p.GetValue(first)!.FullName);
            using var b = BlobReader.Open(p.GetValue(second)!.FullName);
            var d = BlobDiff.Compare(a, b);
            o.WriteLine($"diff {a.FileName} {b.FileName}");
            if (d.Metadata.Count == 0)
            {
                o.WriteLine("metadata: the same");
            }
            else
            {
                o.WriteLine($"metadata: {d.Metadata.Count} key(s) differ");
                var t = new TextTable("key", "a", "b");
                foreach (var m in d.Metadata)
                {
                    t.Add(m.Key, m.A ?? "(absent)", m.B ?? "(absent)");
                }

                t.WriteTo(o);
            }

            o.WriteLine(d.GraphDifference is null ? "graph: the same operators and attributes" : $"graph: differs ({d.GraphDifference})");
            int same = 0;
            foreach (var t in d.Tensors)
            {
                same += t.Change == TensorChange.Same ? 1 : 0;
            }

            o.WriteLine($"tensors: {d.Tensors.Count - same} of {d.Tensors.Count} differ{(same > 0 && !p.GetValue(all) ? $" ({same} equal, not listed; --all lists them)" : "")}");
            var table = new TextTable("tensor", "type", "change", "max |b-a|", "mean |b-a|", "max/|a|max", "elements changed");
            foreach (var t in d.Tensors)
            {
                if (t.Change == TensorChange.Same && !p.GetValue(all))
                {
                    continue;
                }

                string type = t.TypeA == t.TypeB ? Name(t.TypeA) : $"{Name(t.TypeA)} -> {Name(t.TypeB)}";
                bool values = t.Change is TensorChange.Same or TensorChange.Changed;
                table.Add(t.Name, type, t.Change.ToString().ToLowerInvariant(),
                    values ? t.MaxAbs.ToString("G4", Inv) : "", values ? t.MeanAbs.ToString("G4", Inv) : "",
                    values ? Percent(t.RelativeMax, "F2") : "", values ? Percent(t.ChangedFraction, "F1") : "");
            }

            table.WriteTo(o);
        }));
        return cmd;
    }

    private static string Percent(double fraction, string format) => (fraction * 100).ToString(format, Inv) + "%";

    private static string Name(ElementType? t) => t is { } x ? ElementTypeTraits.Of(x).Name : "-";
}
