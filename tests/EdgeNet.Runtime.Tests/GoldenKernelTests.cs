using EdgeNet.Formats.Data;
using EdgeNet.Formats.Enb;
using EdgeNet.Trainer.Autograd;
using EdgeNet.Trainer.Export;
using EdgeNet.Trainer.Keras;
using EdgeNet.Trainer.Keras.Initializers;
using EdgeNet.Trainer.Keras.Layers;
using EdgeNet.Trainer.Keras.Models;
using EdgeNet.Trainer.Tensors;
using Interp = EdgeNet.Runtime.Interpreter;

namespace EdgeNet.Runtime.Tests;

/// <summary>
/// Every kernel variant on the same inputs: the runtime's reference and SIMD kernels against the
/// trainer's CPU backend (float) and the trainer's independent int8 reference interpreter (int8,
/// bit-exact), on odd shapes, strides and paddings.
/// </summary>
[TestClass]
[DoNotParallelize] // seeds the process-wide Keras RNG: another class drawing from it concurrently would change the weights
public sealed class GoldenKernelTests
{
    private static float[] Rand(int n, int seed, float lo = 0, float hi = 1)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => lo + ((hi - lo) * (float)r.NextDouble())).ToArray();
    }

    /// <summary>
    /// Small image models covering conv strides/paddings, pooling, odd dense sizes, and MobileNetV2's operators in
    /// functional graphs with residual branches (BatchNormalization folded, ZeroPadding2D folded into the depthwise
    /// padding, ReLU6 fused, Add, average and global average pooling, a depth multiplier); no final softmax so int8
    /// outputs compare exactly.
    /// </summary>
    private static IEnumerable<(string Name, Func<Model> Make, int[] Sample)> ImageModels()
    {
        yield return ("inverted residual blocks", () => MobileBlocks([9, 10, 8]), [9, 10, 8]);
        // Enough pixels (3 × 19 × 23 = 1,311 rows) that the pointwise products run in row blocks, split between two
        // threads, with a last block that is not whole; a 3×3 convolution between them reads the blocks' output.
        yield return ("pointwise convs in row blocks", () =>
        {
            var input = Trainer.Keras.Models.Input.Create([19, 23, 40]);
            var x = new Conv2D(48, [1, 1], activation: "relu").Apply(input);
            x = new Conv2D(8, [3, 3], padding: "same", activation: "relu").Apply(x);
            x = new Conv2D(37, [1, 1]).Apply(x);
            x = new GlobalAveragePooling2D().Apply(x);
            return new Model(input, new Dense(3).Apply(x));
        }, [19, 23, 40]);
        // ReLU6 applied by the float GEMMs as they store (the export fuses a ReLU(6) layer into the layer before it):
        // pointwise rows, the implicit-GEMM 3×3, a Dense at batch 1's few rows; weights drawn so the sums spread across
        // 0..6 and past it, so a wrong cap or floor shows.
        yield return ("relu6 fused in the gemms", () =>
        {
            var input = Trainer.Keras.Models.Input.Create([11, 13, 40]);
            var x = new Conv2D(48, [1, 1], kernelInitializer: Initializer.RandomUniform(-0.3f, 0.6f)).Apply(input);
            x = new ReLU(6f).Apply(x);
            x = new Conv2D(20, [3, 3], padding: "same", kernelInitializer: Initializer.RandomUniform(-0.05f, 0.06f)).Apply(x);
            x = new ReLU(6f).Apply(x);
            x = new GlobalAveragePooling2D().Apply(x);
            x = new Dense(17, kernelInitializer: Initializer.RandomUniform(-0.3f, 0.45f)).Apply(x);
            x = new ReLU(6f).Apply(x);
            return new Model(input, new Dense(3).Apply(x));
        }, [11, 13, 40]);
        yield return ("depthwise x2 same + avg pools", () =>
        {
            var input = Trainer.Keras.Models.Input.Create([7, 6, 3]);
            var x = new DepthwiseConv2D([3, 3], [1, 1], "same", depthMultiplier: 2, activation: "relu").Apply(input);
            x = new AveragePooling2D([3, 3], [1, 1], "same").Apply(x);
            x = new AveragePooling2D([2, 2]).Apply(x);
            x = new Flatten().Apply(x);
            return new Model(input, new Dense(4).Apply(x));
        }, [7, 6, 3]);
        // Convolutions feeding depthwise ones, as MobileNetV2's stem and expansions do (ConvsIntoDepthwise: depth-first by default for one chain in f32).
        yield return ("convolutions into depthwise, depth-first", ConvsIntoDepthwise, [75, 91, 3]);
        // 3×3 depthwise on maps MobileNetV2's early blocks have: 128 channels (whole 16-lane vectors), a 73×41 map at
        // stride 1 and at stride 2 (f32: both channels outer, three input rows overflow L1, and the map (1.5 MB) larger
        // than one L2 band, so the rows go in bands: 49 + 24 output rows at stride 1, 24 + 13 at stride 2; four-column
        // blocks, edge columns, rows in the padding), a 37×21 map at stride 1 (f32 rows outer) too large to be bordered,
        // and stride 2 down, 1 across; f32 and int8 (float FMAs on exact integers: at stride 1 across over the ring of
        // widened rows, at stride 2 straight from the int8 rows). The trainer's CPU backend runs the same SIMD kernel, so
        // the reference variant is what catches a wrong one.
        yield return ("depthwise 3x3 wide maps s1, s2", () => DepthwiseStack3x3([73, 41, 128], "same"), [73, 41, 128]);
        // 3×3 depthwise on 40 channels (MobileNetV3's and MNASNet's counts are not all multiples of 16): two whole
        // 16-channel vectors and a last group of 8 whose other lanes read past the channels and are not stored — in the
        // four-column blocks, the last columns of a row (18 wide: two over; 7: three), the edges and the rows in the
        // padding, stride 1 and 2.
        yield return ("depthwise 3x3, 40 channels", () => DepthwiseStack3x3([23, 18, 40], "valid"), [23, 18, 40]);
        // 3×3 depthwise on 5 channels (one group, 11 lanes idle) at stride 1 down and 2 across, then 1 and 2 both ways
        // over valid windows: int8 with AVX512-VNNI runs its column pairs with the rows and columns strided apart, odd
        // widths (22 → 11 → 9 → 4), the last group's weights and biases read as whole vectors.
        yield return ("depthwise 3x3, 5 channels, strides (1, 2)", () =>
        {
            var input = Trainer.Keras.Models.Input.Create([17, 22, 5]);
            var x = new DepthwiseConv2D([3, 3], [1, 2], "same", activation: "relu").Apply(input);
            x = new DepthwiseConv2D([3, 3], [1, 1], "valid").Apply(x);
            x = new DepthwiseConv2D([3, 3], [2, 2], "valid").Apply(x);
            x = new Flatten().Apply(x);
            return new Model(input, new Dense(3).Apply(x));
        }, [17, 22, 5]);
        // 5×5 depthwise (MNASNet's, EfficientNet's): the check-free columns blocked by four (13 wide: two blocks and one
        // more), a channel tail past the last vector (20 = 16 + 4), stride 2, and the small maps bordered first (f32);
        // int8 over the AVX-512 ring of five rows at stride 1 and 2 (rows 13, 7 and 3 wide: one or three columns after
        // the last group of four).
        yield return ("depthwise 5x5 same s1, s2", () =>
        {
            var input = Trainer.Keras.Models.Input.Create([11, 13, 20]);
            var x = new DepthwiseConv2D([5, 5], [1, 1], "same", activation: "relu").Apply(input);
            x = new DepthwiseConv2D([5, 5], [2, 2], "same").Apply(x);
            x = new DepthwiseConv2D([5, 5], [1, 1], "valid").Apply(x);
            x = new Flatten().Apply(x);
            return new Model(input, new Dense(3).Apply(x));
        }, [11, 13, 20]);
        yield return ("squeeze-excitation, hard swish, silu, gates", EdgeNet.Tests.Shared.FamilyModels.SqueezeExcite, [7, 9, 6]);
        yield return ("concat, channel slices, shuffles", EdgeNet.Tests.Shared.FamilyModels.ChannelMoves, [6, 7, 5]);
        yield return ("conv same s1 + pool + dense", () => new Sequential([new Conv2D(5, [3, 3], padding: "same", activation: "relu"), new MaxPool2D([2, 2]), new Flatten(), new Dense(7)]), [9, 11, 3]);
        yield return ("conv valid s2 + dense relu", () => new Sequential([new Conv2D(17, [5, 3], strides: [2, 2], padding: "valid", activation: "relu"), new Flatten(), new Dense(33, activation: "relu"), new Dense(3)]), [13, 9, 1]);
        yield return ("conv same s2 odd + pool same", () => new Sequential([new Conv2D(33, [2, 2], strides: [2, 2], padding: "same"), new MaxPool2D([3, 3], [1, 1], "same"), new Flatten(), new Dense(1)]), [7, 5, 2]);
        // Panels of 9 to 16 channels (int8 with AVX512-VNNI: its half panel, 16 rows a step; without: the C# half panel):
        // a 3×3 conv of 12 channels over 9×7 (63 rows: three blocks of 16 and 15 one by one, the taps through the offset
        // tables) and a 1×1 conv of 13 (row-major pairs), both stored masked.
        yield return ("3x3 conv 12 + 1x1 conv 13 channels", () => new Sequential([new Conv2D(12, [3, 3], padding: "same", activation: "relu"), new Conv2D(13, [1, 1]), new Flatten(), new Dense(3)]), [9, 7, 5]);
        // The AVX-512 quarter panel (a last panel of at most 8 channels; C# or VNNI): 35 rows an image (two 16-row blocks and 3 more),
        // 5 pairs of k (the odd last pair against zero weights), 6 channels (masked stores).
        yield return ("1x1 conv, 6 channels over 10", () => new Sequential([new Conv2D(6, [1, 1], activation: "relu"), new Flatten(), new Dense(3)]), [5, 7, 10]);
        yield return ("mlp 127 -> 17 -> 5", () => new Sequential([new Flatten(), new Dense(17, activation: "relu"), new Dense(5)]), [127, 1, 1]);
    }

    /// <summary>
    /// Two MobileNetV2 blocks as Keras builds them (expand 1×1, BN, ReLU6; ZeroPadding2D + stride-2 depthwise; BN, ReLU6; project,
    /// BN; then a stride-1 block whose Add joins the branch), global average pooling and a Dense layer; every BN gets random
    /// statistics and affine parameters so folding them is not the identity.
    /// </summary>
    internal static Model MobileBlocks(int[] sample)
    {
        var input = Trainer.Keras.Models.Input.Create(sample);
        var x = new Conv2D(16, [1, 1], useBias: false).Apply(input);
        x = new BatchNormalization(epsilon: 1e-3f).Apply(x);
        x = new ReLU(6f).Apply(x);
        var (t, b, l, r) = Trainer.Keras.Applications.Applications.CorrectPad(sample[0], sample[1], 3);
        x = new ZeroPadding2D(t, b, l, r).Apply(x);
        x = new DepthwiseConv2D([3, 3], [2, 2], "valid", useBias: false).Apply(x);
        x = new BatchNormalization(epsilon: 1e-3f).Apply(x);
        x = new ReLU(6f).Apply(x);
        x = new Conv2D(8, [1, 1], useBias: false).Apply(x);
        var branch = new BatchNormalization(epsilon: 1e-3f).Apply(x);
        x = new Conv2D(24, [1, 1], useBias: false).Apply(branch);
        x = new BatchNormalization(epsilon: 1e-3f).Apply(x);
        x = new ReLU(6f).Apply(x);
        x = new DepthwiseConv2D([3, 3], [1, 1], "same", useBias: false).Apply(x);
        x = new BatchNormalization(epsilon: 1e-3f).Apply(x);
        x = new ReLU(6f).Apply(x);
        x = new Conv2D(8, [1, 1], useBias: false).Apply(x);
        x = new BatchNormalization(epsilon: 1e-3f).Apply(x);
        x = new Add().Apply(branch, x);
        x = new GlobalAveragePooling2D().Apply(x);
        var model = new Model(input, new Dense(5).Apply(x));
        return EdgeNet.Tests.Shared.RandomBatchNorm.Randomize(model, 11);
    }

    /// <summary>
    /// MobileBlocks(<paramref name="sample"/>) built under Keras seed <paramref name="seed"/> and exported with
    /// <paramref name="x"/> ([batch, ..sample]) as its calibration, to a temporary blob the caller deletes.
    /// </summary>
    internal static string ExportMobileBlocks(int seed, int[] sample, QuantizationScheme scheme, float[] x, int batch)
    {
        KerasBackend.SetRandomSeed(seed);
        var model = MobileBlocks(sample);
        string path = Temp($"mobile-blocks-{scheme}");
        ExportSequenceless(model, path, scheme, x, batch, sample);
        return path;
    }

    /// <summary>
    /// The interpreters each golden model runs on: reference, SIMD on one and two threads, and SIMD on one and two threads with
    /// every convolution that feeds a depthwise one computed inside it a row at a time (depth-first), and the pointwise
    /// convolution after the depthwise one fed those rows where it is their only reader.
    /// </summary>
    private static readonly (KernelVariant Variant, int Threads, bool DepthFirst)[] Variants =
        [(KernelVariant.Reference, 1, false), (KernelVariant.Simd, 1, false), (KernelVariant.Simd, 2, false), (KernelVariant.Simd, 1, true), (KernelVariant.Simd, 2, true)];

    private static string Temp(string name) => Path.Combine(Path.GetTempPath(), $"golden-{name.Replace(' ', '_')}-{Guid.NewGuid():N}.enb");

    [TestMethod]
    public void Float_kernels_reference_and_simd_match_the_trainer()
    {
        foreach (var (name, make, sample) in ImageModels())
        {
            KerasBackend.SetRandomSeed(3);
            var model = make();
            int per = sample.Aggregate(1, (a, d) => a * d);
            const int Batch = 3;
            var x = Rand(Batch * per, 5);
            float[] expected;
            using (var scope = TensorScope.Begin())
            {
                expected = model.Predict(Tensor.FromArray(x, [Batch, .. sample])).ToArray();
            }

            foreach (var scheme in new[] { QuantizationScheme.F32, QuantizationScheme.F16 })
            {
                string path = Temp(name);
                try
                {
                    ExportSequenceless(model, path, scheme, x, Batch, sample);
                    foreach (var (variant, threads, depthFirst) in Variants)
                    {
                        using var it = Interp.Load(path, new InterpreterOptions { MaxBatch = Batch, Variant = variant, Threads = threads, SplitEveryCall = true, DepthFirstEveryPair = depthFirst });
                        x.CopyTo(it.Input(Batch));
                        it.Invoke(Batch);
                        var y = it.Output(Batch).ToArray();
                        double tol = scheme == QuantizationScheme.F16 ? 2e-2 : 1e-4;
                        for (int i = 0; i < y.Length; i++)
                        {
                            Assert.AreEqual(expected[i], y[i], tol * Math.Max(1, Math.Abs(expected[i])), $"{name} {scheme} {variant} x{threads}{(depthFirst ? " depth-first" : "")} [{i}]");
                        }

                        // Batch 1 on two threads splits each image's rows (the batch above runs whole images per thread).
                        // The second sample, so a row left unwritten keeps the first sample's values from the run above.
                        x.AsSpan(per, per).CopyTo(it.Input(1));
                        it.Invoke(1);
                        var y1 = it.Output(1).ToArray();
                        for (int i = 0; i < y1.Length; i++)
                        {
                            double e = expected[y1.Length + i];
                            Assert.AreEqual(e, y1[i], tol * Math.Max(1, Math.Abs(e)), $"{name} {scheme} {variant} x{threads}{(depthFirst ? " depth-first" : "")} batch 1 [{i}]");
                        }
                    }
                }
                finally
                {
                    File.Delete(path);
                }
            }
        }
    }

    [TestMethod]
    public void Squeeze_excitation_runs_in_int8_from_its_first_operator_to_its_last()
    {
        KerasBackend.SetRandomSeed(4);
        var model = EdgeNet.Tests.Shared.FamilyModels.SqueezeExcite();
        const int Batch = 4;
        var x = Rand(Batch * 7 * 9 * 6, 6);
        string path = Temp("se-int8");
        try
        {
            ExportSequenceless(model, path, QuantizationScheme.Int8, x, Batch, [7, 9, 6]);
            using var r = BlobReader.Open(path);
            var ops = r.Graph!.Operators;
            Assert.AreEqual(1, ops.Count(o => o.Opcode == Opcode.Quantize), "one quantize: no float island");
            Assert.AreEqual(1, ops.Count(o => o.Opcode == Opcode.Dequantize), "one dequantize, at the end");
            Assert.AreEqual(2, ops.Count(o => o.Opcode == Opcode.Mul), "the SE gate and the sigmoid gate");
            Assert.IsTrue(ops.Any(o => o.Opcode == Opcode.Dense && o.Attributes.Any(a => a.Key == "activation" && a.Value.AsString() == "relu")), "the ReLU after the SE's first dense layer is fused");
            foreach (var code in new[] { Opcode.HardSwish, Opcode.HardSigmoid, Opcode.Silu, Opcode.Sigmoid, Opcode.Tanh, Opcode.Relu })
            {
                var op = ops.Single(o => o.Opcode == code);
                var table = r.Tensors[op.WeightInputs().Single().Index];
                Assert.AreEqual(ElementType.I8, table.Type, $"{code}'s lookup table");
                Assert.AreEqual(256L, table.ElementCount, $"{code}'s lookup table");
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void Int8_kernels_are_bit_exact_against_the_trainers_integer_reference()
    {
        foreach (var (name, make, sample) in ImageModels())
        {
            KerasBackend.SetRandomSeed(4);
            var model = make();
            int per = sample.Aggregate(1, (a, d) => a * d);
            const int Batch = 4;
            var x = Rand(Batch * per, 6);
            string path = Temp(name);
            try
            {
                ExportSequenceless(model, path, QuantizationScheme.Int8, x, Batch, sample);
                float[] expected;
                using (var r = BlobReader.Open(path))
                {
                    Assert.IsTrue(r.Graph!.Operators.Any(o => o.Opcode == Opcode.Quantize), "the blob runs in int8");
                    expected = new ReferenceInterpreter(r).Run(x, Batch);
                }

                foreach (var (variant, threads, depthFirst) in Variants)
                {
                    using var it = Interp.Load(path, new InterpreterOptions { MaxBatch = Batch, Variant = variant, Threads = threads, SplitEveryCall = true, DepthFirstEveryPair = depthFirst });
                    x.CopyTo(it.Input(Batch));
                    it.Invoke(Batch);
                    CollectionAssert.AreEqual(expected, it.Output(Batch).ToArray(), $"{name} int8 {variant} x{threads}{(depthFirst ? " depth-first" : "")}: outputs differ from the integer reference");

                    // Batch 1 on two threads splits each image's rows; the second sample, so a row left unwritten keeps
                    // the first sample's values from the run above.
                    x.AsSpan(per, per).CopyTo(it.Input(1));
                    it.Invoke(1);
                    CollectionAssert.AreEqual(expected.AsSpan(expected.Length / Batch, expected.Length / Batch).ToArray(), it.Output(1).ToArray(), $"{name} int8 {variant} x{threads}{(depthFirst ? " depth-first" : "")} batch 1");
                }
            }
            finally
            {
                File.Delete(path);
            }
        }
    }

    [TestMethod]
    public void Lstm_reference_and_simd_match_the_trainer_in_f32_and_int8_weights()
    {
        KerasBackend.SetRandomSeed(8);
        var model = new Sequential([new OneHot(11), new LSTM(13), new Dense(11)]);
        const int Batch = 2, Steps = 6;
        var ids = Enumerable.Range(0, Batch * Steps).Select(i => (float)(i * 7 % 11)).ToArray();
        float[] expected;
        using (var scope = TensorScope.Begin())
        {
            expected = model.Predict(Tensor.FromArray(ids, Batch, Steps)).ToArray();
        }

        foreach (var scheme in new[] { QuantizationScheme.F32, QuantizationScheme.Int8 })
        {
            string path = Temp("lstm");
            try
            {
                ModelExporter.ExportSamples(model, path, new QuantizationOptions { Scheme = scheme }, [new NDArray(ids, Batch, Steps)], new Dictionary<string, EnbValue>());
                using (var r = BlobReader.Open(path))
                {
                    Assert.AreEqual(1, r.Graph!.Operators.Count(o => o.Opcode == Opcode.Lstm), "the cell loop folds into one lstm op");
                }

                foreach (var variant in new[] { KernelVariant.Reference, KernelVariant.Simd })
                {
                    using var it = Interp.Load(path, new InterpreterOptions { MaxBatch = Batch, Variant = variant });
                    ids.CopyTo(it.Input(Batch));
                    it.Invoke(Batch);
                    var y = it.Output(Batch).ToArray();
                    double tol = scheme == QuantizationScheme.Int8 ? 5e-2 : 1e-4;
                    for (int i = 0; i < y.Length; i++)
                    {
                        Assert.AreEqual(expected[i], y[i], tol * Math.Max(1, Math.Abs(expected[i])), $"lstm {scheme} {variant} [{i}]");
                    }
                }
            }
            finally
            {
                File.Delete(path);
            }
        }
    }

    /// <summary>
    /// Exact ties (k + 0.5)·scale on both sides of zero, values just either side of a tie, beyond the int8 range,
    /// infinities and NaN, then random values; several zero points; scales that are not powers of two (where x / s is
    /// not x · (1 / s): 0.011764706 / (1 / 127.5f) is 1.5, the product 1.4999999) and a subnormal one.
    /// </summary>
    [TestMethod]
    public unsafe void Simd_quantize_rounds_like_the_reference_on_ties_extremes_and_nan()
    {
        foreach (float scale in new[] { 0.25f, 0.1f, 1f / 127.5f, 0.0392157f, 3f, 1e-39f })
        {
            var xs = new List<float>();
            for (int k = -140; k <= 140; k++)
            {
                float tie = (k + 0.5f) * scale;
                xs.AddRange([tie, MathF.BitDecrement(tie), MathF.BitIncrement(tie), k * scale, (k + 0.5f) / 10f]);
            }

            xs.AddRange([float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e30f, -1e30f, 0f, -0f, 0.49999997f * scale]);
            xs.AddRange(Rand(1001, 7, -40, 40));

            // The saturation's edge (the SIMD path clamps x to ±1025·scale before dividing by a reciprocal) and every
            // 4,099th float of either sign, so every binade.
            for (float t = 1023f; t <= 1027f; t += 0.25f)
            {
                xs.AddRange([t * scale, -t * scale, MathF.BitIncrement(t * scale), MathF.BitDecrement(-t * scale)]);
            }

            for (uint bits = 0; bits < 0x7F800000u; bits += 4099)
            {
                float v = BitConverter.UInt32BitsToSingle(bits);
                xs.AddRange([v, -v]);
            }

            // The values one step either side of each tie again, in vectors with no exact tie.
            while (xs.Count % 16 != 0)
            {
                xs.Add(0f);
            }

            for (int k = -140; k <= 140; k++)
            {
                float tie = (k + 0.5f) * scale;
                xs.AddRange([MathF.BitDecrement(tie), MathF.BitIncrement(tie)]);
            }

            var x = xs.ToArray();
            foreach (int zp in new[] { 0, -128, 17, 127 })
            {
                SimdEqualsReference<float, sbyte, sbyte>(x, scale, zp, &Kernels.Reference.Quantize.ToInt8, &Kernels.Simd.Quantize.ToInt8, v => v, "quantize");
            }
        }
    }

    /// <summary>
    /// The AVX-512 quantize divides by a corrected reciprocal (Markstein: within about 1.5 ulp before the residual
    /// step, exact after it where nothing overflows): only a quotient next to a tie k + ½ could round the other way, so
    /// for 3,000 scales (log-uniform, 1e−7 to 1e3, and the ends the kernel allows) every float within four ulps of each
    /// tie that a zero point can bring inside the int8 range (|k| ≤ 257; each x ulp moves the quotient by at least half of
    /// its ulp) gives the division's code, at zero points 0, −128 and 127.
    /// </summary>
    [TestMethod]
    public unsafe void Simd_quantize_rounds_every_tie_like_the_division_at_many_scales()
    {
        var random = new Random(22);
        var scales = Enumerable.Range(0, 3000).Select(_ => (float)Math.Pow(10, -7 + (10 * random.NextDouble()))).Concat([1e-30f, 1e30f, 1f]).ToArray();
        var x = new float[515 * 9];
        var expected = new sbyte[x.Length];
        var actual = new sbyte[x.Length];
        foreach (float scale in scales)
        {
            int i = 0;
            for (int k = -257; k <= 257; k++)
            {
                float v = (k + 0.5f) * scale;
                for (int u = 0; u < 4; u++)
                {
                    v = MathF.BitDecrement(v);
                }

                for (int u = 0; u < 9; u++, v = MathF.BitIncrement(v))
                {
                    x[i++] = v;
                }
            }

            foreach (int zp in new[] { 0, -128, 127 })
            {
                fixed (float* px = x)
                fixed (sbyte* pe = expected, pa = actual)
                {
                    Kernels.Reference.Quantize.ToInt8(px, pe, x.Length, scale, zp);
                    Kernels.Simd.Quantize.ToInt8(px, pa, x.Length, scale, zp);
                }

                int bad = expected.AsSpan().CommonPrefixLength(actual);
                Assert.AreEqual(x.Length, bad, bad < x.Length ? $"scale {scale:R} zp {zp}: x = {x[bad]:R} gives {actual[bad]}, the division {expected[bad]}" : "");
            }
        }
    }

    /// <summary>
    /// Every int8 code, three times over and seven more (whole vectors at every width and a scalar tail), at several
    /// zero points and scales (one not a power of two, one subnormal): the SIMD dequantize equals the reference bit for bit.
    /// </summary>
    [TestMethod]
    public unsafe void Simd_dequantize_equals_the_reference_bit_for_bit()
    {
        var q = Enumerable.Range(0, (3 * 256) + 7).Select(i => (sbyte)((i * 37) % 256)).ToArray();
        foreach (float scale in new[] { 0.25f, 0.1f, 1f / 127.5f, 0.0060213f, 3f, 1e-39f })
        {
            foreach (int zp in new[] { 0, -128, 17, 127 })
            {
                SimdEqualsReference<sbyte, float, int>(q, scale, zp, &Kernels.Reference.Quantize.ToFloat, &Kernels.Simd.Quantize.ToFloat, BitConverter.SingleToInt32Bits, "dequantize");
            }
        }
    }

    /// <summary>
    /// Runs a conversion's reference and SIMD kernels (x, y, n, scale, zero point) on <paramref name="x"/> and asserts every
    /// output equal, compared as <paramref name="key"/> gives it (the bits of a float: −0 and NaN payloads count).
    /// </summary>
    private static unsafe void SimdEqualsReference<TIn, TOut, TKey>(TIn[] x, float scale, int zp, delegate*<TIn*, TOut*, int, float, int, void> reference,
        delegate*<TIn*, TOut*, int, float, int, void> simd, Func<TOut, TKey> key, string what)
        where TIn : unmanaged
        where TOut : unmanaged
    {
        var expected = new TOut[x.Length];
        var actual = new TOut[x.Length];
        fixed (TIn* px = x)
        fixed (TOut* pe = expected, pa = actual)
        {
            reference(px, pe, x.Length, scale, zp);
            simd(px, pa, x.Length, scale, zp);
        }

        for (int i = 0; i < x.Length; i++)
        {
            Assert.AreEqual(key(expected[i]), key(actual[i]), $"{what} x={x[i]} scale={scale:R} zp={zp}: {expected[i]} vs {actual[i]}");
        }
    }

    /// <summary>
    /// A 3×3 stride-2 stem into a depthwise convolution, a 240-channel expansion (ReLU6) into a stride-2 one, a 1×1 into a
    /// 5×5: the expansion's map (38×46×240 f32, 1.68 MB, at least <see cref="Interp.DepthFirstBytes"/>) runs depth-first
    /// by default, in bands of several rows, feeding the 1×1 after it; <c>DepthFirstEveryPair</c> runs the stem's pair a row
    /// at a time feeding the expansion (so the expansion is that chain's consumer, not a producer) and the 1×1 into the
    /// 5×5. (The int8 stride-2 depthwise rows read a band in the inverted residual blocks' first pair.)
    /// </summary>
    internal static Model ConvsIntoDepthwise()
    {
        var input = Trainer.Keras.Models.Input.Create([75, 91, 3]);
        var x = new Conv2D(12, [3, 3], strides: [2, 2], padding: "same", activation: "relu").Apply(input);
        x = new DepthwiseConv2D([3, 3], [1, 1], "same", activation: "relu").Apply(x);
        x = new Conv2D(240, [1, 1]).Apply(x);
        x = new ReLU(6f).Apply(x);
        x = new DepthwiseConv2D([3, 3], [2, 2], "same").Apply(x);
        x = new Conv2D(20, [1, 1], activation: "relu").Apply(x);
        x = new DepthwiseConv2D([5, 5], [1, 1], "same").Apply(x);
        x = new GlobalAveragePooling2D().Apply(x);
        return new Model(input, new Dense(4).Apply(x));
    }

    /// <summary>
    /// Four 3×3 depthwise layers over an image of <paramref name="shape"/>: stride 1 'same' then a ReLU6, stride 2 'same',
    /// stride 1 with a fused ReLU and <paramref name="lastPadding"/>, stride 2 down and 1 across 'same' (the int8 ring
    /// takes two new rows per output row); flattened, so every output is compared (an edge tap lost in a pooling would
    /// not show).
    /// </summary>
    private static Model DepthwiseStack3x3(int[] shape, string lastPadding)
    {
        var input = Trainer.Keras.Models.Input.Create(shape);
        var x = new DepthwiseConv2D([3, 3], [1, 1], "same").Apply(input);
        x = new ReLU(6f).Apply(x);
        x = new DepthwiseConv2D([3, 3], [2, 2], "same").Apply(x);
        x = new DepthwiseConv2D([3, 3], [1, 1], lastPadding, activation: "relu").Apply(x);
        x = new DepthwiseConv2D([3, 3], [2, 1], "same").Apply(x);
        return new Model(input, new Flatten().Apply(x));
    }

    internal static void ExportSequenceless(Model model, string path, QuantizationScheme scheme, float[] x, int batch, int[] sample) =>
        ModelExporter.ExportSamples(model, path, new QuantizationOptions { Scheme = scheme }, [new NDArray(x, [batch, .. sample])], new Dictionary<string, EnbValue>());
}
