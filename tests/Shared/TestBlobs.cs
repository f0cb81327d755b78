using EdgeNet.Formats.Enb;

namespace EdgeNet.Tests.Shared;

/// <summary>Small model blobs written straight with the blob writer (no trainer needed).</summary>
internal static class TestBlobs
{
    public static string WriteMlp(string dir)
    {
        // The chapter's MLP shape (784 -> 100 relu -> 10 softmax), weights from a fixed seed.
        var rng = new Random(3);
        float[] Rand(int n) => Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var w = new BlobWriter();
        w.SetMetadata("general.architecture", "mlp");
        w.SetMetadata("general.name", "chapter-mlp");
        w.SetMetadata("training.dataset", "mnist-digits");
        w.SetMetadata("training.accuracy", EnbValue.F32(0.9479f));
        w.SetMetadata("general.input_shape", EnbValue.Ints(28, 28, 1));
        int k1 = w.AddF32("dense.kernel", [784, 100], Rand(78_400));
        int b1 = w.AddF32("dense.bias", [100], Rand(100));
        int k2 = w.AddF32("dense_1.kernel", [100, 10], Rand(1000));
        int b2 = w.AddF32("dense_1.bias", [10], Rand(10));
        w.Graph = new GraphDef(
            [new ValueInfo("input", ElementType.F32, -1, 28, 28, 1), new ValueInfo("flat", ElementType.F32, -1, 784),
             new ValueInfo("hidden", ElementType.F32, -1, 100), new ValueInfo("logits", ElementType.F32, -1, 10), new ValueInfo("probs", ElementType.F32, -1, 10)],
            [0], [4],
            [
                new OperatorDef(Opcode.Flatten, [TensorRef.Value(0)], [1], []),
                new OperatorDef(Opcode.Dense, [TensorRef.Value(1), TensorRef.Weight(k1), TensorRef.Weight(b1)], [2], [new("units", EnbValue.I32(100)), new("activation", EnbValue.String("relu"))]),
                new OperatorDef(Opcode.Dense, [TensorRef.Value(2), TensorRef.Weight(k2), TensorRef.Weight(b2)], [3], [new("units", EnbValue.I32(10))]),
                new OperatorDef(Opcode.Softmax, [TensorRef.Value(3)], [4], []),
            ]);
        string path = Path.Combine(dir, "mlp.enb");
        w.Write(path);
        return path;
    }
}
