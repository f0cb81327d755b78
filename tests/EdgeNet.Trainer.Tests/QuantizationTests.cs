using EdgeNet.Formats.Contract;
using EdgeNet.Formats.Data;
using EdgeNet.Formats.Enb;
using EdgeNet.Trainer.Export;
using EdgeNet.Trainer.Keras;
using EdgeNet.Trainer.Keras.Models;
using EdgeNet.Trainer.Models;
using EdgeNet.Trainer.Tensors;

namespace EdgeNet.Trainer.Tests;

[TestClass]
[DoNotParallelize] // seeds the process-wide Keras RNG: another class drawing from it concurrently would change the weights
public sealed class QuantizationTests
{
    [TestMethod]
    public void Quantize_then_dequantize_stays_within_half_a_step()
    {
        var x = GradientCheck.Rand(10_000, 3, -3.5f, 7.25f);
        var (scale, zp) = Int8Arithmetic.AsymmetricParams(x.Min(), x.Max());
        Assert.AreEqual((7.25f + 3.5f) / 255f, scale, 1e-3f);
        foreach (float v in x)
        {
            float back = Int8Arithmetic.Dequantize(Int8Arithmetic.Quantize(v, scale, zp), scale, zp);
            Assert.IsLessThanOrEqualTo(scale / 2 + 1e-5f, Math.Abs(back - v), $"{v} came back as {back}");
        }

        // A range that excludes 0 is widened to include it, so 0 is exact.
        var (s2, z2) = Int8Arithmetic.AsymmetricParams(2f, 5f);
        Assert.AreEqual(0f, Int8Arithmetic.Dequantize(Int8Arithmetic.Quantize(0f, s2, z2), s2, z2));
    }

    [TestMethod]
    public void Per_channel_scales_of_a_hand_built_kernel()
    {
        // Dense kernel [in = 3, out = 2]; channel 0 has max |w| 2, channel 1 has 4.
        float[] w = [1f, -4f, 0.5f, 2f, -2f, 1f];
        var (q, scales) = Int8Arithmetic.QuantizePerChannelLastAxis(w, 2);
        CollectionAssert.AreEqual(new[] { 2f / 127, 4f / 127 }, scales);
        CollectionAssert.AreEqual(new sbyte[] { 64, -127, 32, 64, -127, 32 }, q);
    }

    [TestMethod]
    public void Requantization_multiplier_reproduces_the_real_scale()
    {
        foreach (double m in new[] { 0.000123, 0.0371, 0.5, 0.99999, 1.7 })
        {
            var (q, shift) = Int8Arithmetic.QuantizeMultiplier(m);
            foreach (int acc in new[] { -1_000_000, -12345, -1, 0, 7, 99_999, 2_000_000 })
            {
                int got = Int8Arithmetic.MultiplyByQuantizedMultiplier(acc, q, shift);
                Assert.AreEqual(Math.Round(acc * m, MidpointRounding.AwayFromZero), got, 1.0, $"acc {acc} × {m}");
            }
        }
    }

    /// <summary>
    /// A weighted layer's output in fp32, worked by hand: q = 2^30 with shift 0 is the scale ½, so 5 → 2.5 → 2 and
    /// 7 → 3.5 → 4 (ties to even, both signs); 2^25 + 2^19 + 1 becomes the float 2^25 + 2^19 before the multiply
    /// (floats are 4 apart there), so times 2^−20 it is the tie 32.5 → 32, where the exact product 32.500001 (and the
    /// 64-bit fixed-point form) gives 33; the int32 extremes clamp to the bounds; a fused ReLU floors at the zero point.
    /// </summary>
    [TestMethod]
    public void Layer_requantization_is_fp32_rounding_ties_to_even()
    {
        float half = Int8Arithmetic.LayerScale(1 << 30, 0);
        Assert.AreEqual(0.5f, half);
        Assert.AreEqual(0.75f, Int8Arithmetic.LayerScale(3 << 29, 0));
        Assert.AreEqual(0.75f / 1024, Int8Arithmetic.LayerScale(3 << 29, -10));
        Assert.AreEqual((sbyte)2, Int8Arithmetic.RequantizeLayer(5, half, 0, -128));
        Assert.AreEqual((sbyte)4, Int8Arithmetic.RequantizeLayer(7, half, 0, -128));
        Assert.AreEqual((sbyte)-2, Int8Arithmetic.RequantizeLayer(-5, half, 0, -128));
        Assert.AreEqual((sbyte)-4, Int8Arithmetic.RequantizeLayer(-7, half, 0, -128));
        Assert.AreEqual((sbyte)13, Int8Arithmetic.RequantizeLayer(5, half, 11, -128));      // 2.5 → 2, then + 11
        Assert.AreEqual((sbyte)32, Int8Arithmetic.RequantizeLayer(34_078_721, 1f / (1 << 20), 0, -128));
        Assert.AreEqual((sbyte)33, Int8Arithmetic.Requantize(34_078_721, 1 << 30, -19, 0, -128));   // the fixed-point form: 33
        Assert.AreEqual((sbyte)127, Int8Arithmetic.RequantizeLayer(int.MaxValue, half, 0, -128));
        Assert.AreEqual((sbyte)-128, Int8Arithmetic.RequantizeLayer(int.MinValue, half, 0, -128));
        Assert.AreEqual((sbyte)-7, Int8Arithmetic.RequantizeLayer(-1000, half, -7, -7));     // a fused ReLU: lo = zp
        Assert.AreEqual((sbyte)60, Int8Arithmetic.RequantizeLayer(1000, half, -7, -7, 60));  // ReLU6's cap
    }

    /// <summary>
    /// An int8 add in fp32, worked by hand: scales 1 and ½ into 2 make TFLite's table (2^30, 0), (2^30, −1), (2^30, −19),
    /// so k_a = ½ and k_b = ¼ exactly; then 1·½ = 0.5 → 0 and 3·½ = 1.5 → 2, both signs (ties to even, where TFLite's
    /// integer form rounds half up: 1, 2, 0, −1), 5·½ + 2·¼ = 3, 4·½ + 2·¼ = 2.5 → 2, a fused ReLU floors at the zero
    /// point, the largest sum clamps to 127. Then, for other scales, every pair of codes lands on the nearest integer
    /// of the exact (a − za)·s_a/s_y + (b − zb)·s_b/s_y unless that is within 10⁻⁴ (plus the products' f32
    /// rounding) of a half.
    /// </summary>
    [TestMethod]
    public void Add_is_fp32_rounding_ties_to_even()
    {
        int[] table = Int8Arithmetic.AddRequant(1f, 0.5f, 2f);
        CollectionAssert.AreEqual(new[] { 1 << 30, 1 << 30, 1 << 30, 0, -1, -19 }, table);
        var k = Int8Arithmetic.AddScales(table);
        Assert.AreEqual((0.5f, 0.25f), k);
        foreach (var (a, b, zy, lo, want) in new[]
        {
            (1, 0, 0, -128, 0), (3, 0, 0, -128, 2), (-1, 0, 0, -128, 0), (-3, 0, 0, -128, -2),
            (5, 2, 0, -128, 3), (4, 2, 0, -128, 2), (4, 2, -7, -128, -5), (-9, 0, -7, -7, -7), (127, 127, 0, -128, 95),
            (127, 127, 40, -128, 127), (-128, -128, 0, -128, -96),
        })
        {
            Assert.AreEqual((sbyte)want, Int8Arithmetic.Add(a, 0, b, 0, k, zy, lo, 127), $"a {a} b {b} zy {zy} lo {lo}");
        }

        var rng = new Random(3);
        for (int t = 0; t < 20; t++)
        {
            float sa = (float)Math.Exp(rng.NextDouble() * 6 - 5), sb = (float)Math.Exp(rng.NextDouble() * 6 - 5), sy = (float)Math.Exp(rng.NextDouble() * 6 - 4);
            int za = rng.Next(-128, 128), zb = rng.Next(-128, 128), zy = rng.Next(-128, 128);
            var kt = Int8Arithmetic.AddScales(Int8Arithmetic.AddRequant(sa, sb, sy));
            for (int a = -128; a < 128; a++)
            {
                for (int b = -128; b < 128; b += 3)
                {
                    double ta = (a - za) * (double)sa / sy, tb = (b - zb) * (double)sb / sy, exact = ta + tb;
                    if (Math.Abs(exact - Math.Floor(exact) - 0.5) < 1e-4 + ((Math.Abs(ta) + Math.Abs(tb)) / (1 << 22)))   // f32 keeps 24 bits of each product
                    {
                        continue;
                    }

                    int want = (int)Math.Clamp(Math.Round(exact) + zy, -128, 127);
                    Assert.AreEqual((sbyte)want, Int8Arithmetic.Add(a, za, b, zb, kt, zy, -128, 127), $"s {sa}, {sb} → {sy}: a {a} (za {za}) b {b} (zb {zb}) zy {zy}");
                }
            }
        }
    }

    [TestMethod]
    public void Int8_reference_path_matches_the_float_predictions_for_mlp_and_cnn()
    {
        var data = Datasets.LoadDigits();
        var test = data.Test.Take(300);
        foreach (var (model, steps) in new (Model, int)[] { (new MLP(), 400), (new CNN(), 120) })
        {
            KerasBackend.SetRandomSeed(17);
            ChapterLoop.TrainRandomBatches(model, data.Train, steps, 50, 1e-3f, seed: 17);
            string path = Path.Combine(Path.GetTempPath(), $"int8-{model.Name}-{Guid.NewGuid():N}.enb");
            try
            {
                model.Export(path, new QuantizationOptions { Scheme = QuantizationScheme.Int8, CalibrationSamples = 200 }, data, (net, test) => ChapterLoop.Accuracy(net, test), evalLimit: 20);
                var floatProbs = model.Predict(new NDArray(test.Images, test.Count, 28, 28, 1), batchSize: 100);
                using var r = BlobReader.Open(path);
                var interp = new ReferenceInterpreter(r);
                int agree = 0;
                for (int s = 0; s < test.Count; s += 100)
                {
                    float[] q = interp.Run(test.Images.AsSpan(s * 784, 100 * 784).ToArray(), 100);
                    for (int i = 0; i < 100; i++)
                    {
                        int a = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(floatProbs.Data.AsSpan((s + i) * 10, 10));
                        int b = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(q.AsSpan(i * 10, 10));
                        agree += a == b ? 1 : 0;
                    }
                }

                Assert.IsGreaterThanOrEqualTo(0.99, agree / (double)test.Count, $"{model.Name}: int8 agrees with float on {agree}/{test.Count}");
            }
            finally
            {
                File.Delete(path);
            }
        }
    }
}
