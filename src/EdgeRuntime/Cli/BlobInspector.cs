using System.Globalization;
using EdgeNet.Formats.Enb;

namespace EdgeNet.Runtime.Cli;

/// <summary>Prints a blob's header, metadata, tensor table and layers (<c>edgenet inspect</c>).</summary>
internal static class BlobInspector
{
    public static void Write(BlobReader r, TextWriter w)
    {
        var h = r.Header;
        var inv = CultureInfo.InvariantCulture;
        w.WriteLine($"file        {r.FileName}");
        w.WriteLine($"format      .enb version {h.Version}, alignment {h.Alignment}, {h.FileSize.ToString("N0", inv)} bytes");
        w.WriteLine($"sections    metadata {h.MetadataSize} B @ {h.MetadataOffset}, tensors {h.TensorsSize} B @ {h.TensorsOffset}, graph {h.GraphSize} B @ {h.GraphOffset}, data {h.DataSize.ToString("N0", inv)} B @ {h.DataOffset}");
        w.WriteLine($"checksums   header {h.HeaderHash:x16}, structure {h.StructureHash:x16}");
        w.WriteLine();

        w.WriteLine($"Metadata ({r.Metadata.Count})");
        var meta = new TextTable("key", "type", "value");
        foreach (var (key, value) in r.Metadata)
        {
            meta.Add(key, value.Describe(), value.ToString());
        }

        meta.WriteTo(w);
        w.WriteLine();

        long total = 0;
        foreach (var t in r.Tensors)
        {
            total += t.ByteSize;
        }

        w.WriteLine($"Tensors ({r.Tensors.Count}, {total.ToString("N0", inv)} bytes)");
        var tensors = new TextTable("#", "name", "type", "shape", "offset", "bytes", "quantization", "xxhash64");
        for (int i = 0; i < r.Tensors.Count; i++)
        {
            var t = r.Tensors[i];
            tensors.Add(i.ToString(inv), t.Name, ElementTypeTraits.Of(t.Type).Name, t.ShapeText, t.Offset.ToString(inv), t.ByteSize.ToString("N0", inv), t.Quantization.ToString(), t.Hash.ToString("x16", inv));
        }

        tensors.WriteTo(w);
        w.WriteLine();

        if (r.Graph is not { } g)
        {
            w.WriteLine("Graph: none (weights only)");
            return;
        }

        w.WriteLine($"Graph: inputs {CliFormat.Join(", ", g.Inputs.Count, i => Describe(g.Values[g.Inputs[i]]))}; outputs {CliFormat.Join(", ", g.Outputs.Count, i => Describe(g.Values[g.Outputs[i]]))}");
        var layers = new TextTable("#", "op", "inputs", "outputs", "attributes");
        for (int i = 0; i < g.Operators.Count; i++)
        {
            var op = g.Operators[i];
            string ins = CliFormat.Join(", ", op.Inputs.Count, k => op.Inputs[k].IsWeight ? r.Tensors[op.Inputs[k].Index].Name : g.Values[op.Inputs[k].Index].Name);
            string outs = CliFormat.Join(", ", op.Outputs.Count, k => Describe(g.Values[op.Outputs[k]]));
            string attrs = CliFormat.Join(" ", op.Attributes.Count, k => $"{op.Attributes[k].Key}={op.Attributes[k].Value}");
            layers.Add(i.ToString(inv), OpName(op.Opcode), ins, outs, attrs);
        }

        layers.WriteTo(w);
    }

    private static string Describe(ValueInfo v) => $"{v.Name} {ElementTypeTraits.Of(v.Type).Name}{v.ShapeText}";

    /// <summary>The snake_case operator name used in docs/format.md.</summary>
    public static string OpName(Opcode op) => op switch
    {
        Opcode.Conv2D => "conv2d",
        Opcode.MaxPool2D => "max_pool2d",
        _ => op.ToString().ToLowerInvariant(),
    };
}
