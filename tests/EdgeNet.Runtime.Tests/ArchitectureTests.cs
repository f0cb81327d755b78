using EdgeNet.Tests.Shared;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;

namespace EdgeNet.Runtime.Tests;

/// <summary>
/// The arrows between the parts (docs/architecture.md): which of our assemblies each built assembly
/// references, and inside the trainer which folders may use which. A new arrow fails here first.
/// </summary>
[TestClass]
public sealed partial class ArchitectureTests
{
    private static readonly string[] Ours = ["EdgeNet.Formats", "EdgeNet.Kernels", "EdgeNet.Rig", "EdgeNet.Rig.Gpio", "EdgeNet.Runtime", "EdgeNet.Runtime.Devices", "EdgeNet.Deploy", "EdgeNet.Fleet", "edgenet", "edgenet-train", "EdgeNet.Trainer"];

    private static string[] OurReferences(Assembly a) =>
        a.GetReferencedAssemblies().Select(r => r.Name!).Where(n => Ours.Contains(n)).Order(StringComparer.Ordinal).ToArray();

    private static string[] References(Assembly a) => a.GetReferencedAssemblies().Select(r => r.Name!).ToArray();

    [TestMethod]
    public void Built_assemblies_reference_only_what_the_architecture_allows()
    {
        var formats = typeof(EdgeNet.Formats.Enb.BlobReader).Assembly;
        var rig = typeof(EdgeNet.Rig.Environments.CartPoleEnv).Assembly;
        var kernels = typeof(EdgeNet.Kernels.Simd.Gemm).Assembly;
        var runtime = typeof(EdgeNet.Runtime.Interpreter).Assembly;
        var trainer = typeof(EdgeNet.Trainer.Keras.Models.Model).Assembly;
        var gpio = typeof(EdgeNet.Rig.CartPole.GpioCartPoleRig).Assembly;
        var devices = typeof(EdgeNet.Runtime.Training.Rl.RigDqnLoop).Assembly;
        var edgenet = typeof(EdgeNet.Runtime.Cli.EdgenetCli).Assembly;
        var deploy = typeof(EdgeNet.Deploy.Install.Installer).Assembly;
        var edgenetTrain = typeof(EdgeNet.Trainer.Cli.Cli).Assembly;
        var fleet = typeof(EdgeNet.Fleet.Payloads.TransitionBatch).Assembly;

        CollectionAssert.AreEqual(Array.Empty<string>(), OurReferences(formats), "Formats (the contract) references no project of ours");
        CollectionAssert.AreEqual(Array.Empty<string>(), OurReferences(kernels), "Kernels (the numerics) references no project of ours");
        CollectionAssert.AreEqual(Array.Empty<string>(), OurReferences(rig), "Rig references no project of ours");
        CollectionAssert.IsSubsetOf(OurReferences(fleet), new[] { "EdgeNet.Formats", "EdgeNet.Kernels", "EdgeNet.Rig", "EdgeNet.Runtime" }, "Fleet builds on the runtime (the board acts through the interpreter, the learner trains with DqnLearner), never on the trainer or the GPIO rig");
        CollectionAssert.AreEqual(new[] { "EdgeNet.Formats" }, OurReferences(deploy), "Deploy (bundles, installs, the service) references only Formats (its crash-safe file replacement)");
        CollectionAssert.AreEqual(new[] { "EdgeNet.Formats", "EdgeNet.Kernels", "EdgeNet.Rig" }, OurReferences(runtime), "the runtime references Formats, Kernels and Rig, never the trainer");
        CollectionAssert.AreEqual(new[] { "EdgeNet.Formats", "EdgeNet.Kernels", "EdgeNet.Rig" }, OurReferences(trainer), "the trainer references Formats, Kernels and Rig, never the runtime");
        CollectionAssert.AreEqual(new[] { "EdgeNet.Rig" }, OurReferences(gpio), "the rig over GPIO builds on the physics only");
        CollectionAssert.IsSubsetOf(OurReferences(devices), new[] { "EdgeNet.Formats", "EdgeNet.Kernels", "EdgeNet.Rig", "EdgeNet.Rig.Gpio", "EdgeNet.Runtime" }, "the runtime's devices: the runtime and the rig over GPIO");
        CollectionAssert.Contains(OurReferences(edgenet), "EdgeNet.Runtime", "the edgenet command is a command over the runtime library");
        CollectionAssert.IsSubsetOf(OurReferences(edgenet), new[] { "EdgeNet.Formats", "EdgeNet.Kernels", "EdgeNet.Rig", "EdgeNet.Rig.Gpio", "EdgeNet.Runtime", "EdgeNet.Runtime.Devices", "EdgeNet.Deploy", "EdgeNet.Fleet" }, "the edgenet command never references the trainer");
        CollectionAssert.Contains(OurReferences(edgenetTrain), "EdgeNet.Trainer", "edgenet-train is a command over the trainer library");
        // The fleet's learner runs the board's own DQN update (DqnLearner) so that learning on a fleet and on one rig
        // (edgenet rig train) are the same algorithm: edgenet-train reaches the runtime for that, and judges on the GPIO rig.
        CollectionAssert.IsSubsetOf(OurReferences(edgenetTrain), new[] { "EdgeNet.Formats", "EdgeNet.Kernels", "EdgeNet.Rig", "EdgeNet.Trainer", "EdgeNet.Fleet", "EdgeNet.Runtime", "EdgeNet.Rig.Gpio" }, "edgenet-train references the runtime only with the fleet");

        // What the board runs carries no host-only library (GPU, plots, rich console, the trainer's ONNX protobuf).
        foreach (var a in new[] { formats, kernels, rig, gpio, runtime, devices, deploy, fleet, edgenet })
        {
            var hostOnly = References(a).Where(n => n.StartsWith("Silk.NET", StringComparison.Ordinal) || n.StartsWith("ScottPlot", StringComparison.Ordinal) || n.StartsWith("Spectre", StringComparison.Ordinal) || n.StartsWith("SkiaSharp", StringComparison.Ordinal) || n.StartsWith("Google.Protobuf", StringComparison.Ordinal)).ToArray();
            Assert.IsEmpty(hostOnly, $"{a.GetName().Name} references host-only {string.Join(", ", hostOnly)}");
        }

        // The libraries a user's program references carry no command-line or console library: those are the commands'.
        // dotnet/iot (GPIO, V4L2) is the hardware packages' only: a program that runs or trains models does not carry it.
        foreach (var a in new[] { formats, kernels, rig, runtime, trainer, fleet })
        {
            var hardware = References(a).Where(n => n.StartsWith("System.Device.Gpio", StringComparison.Ordinal) || n.StartsWith("Iot.Device", StringComparison.Ordinal)).ToArray();
            Assert.IsEmpty(hardware, $"{a.GetName().Name} references dotnet/iot ({string.Join(", ", hardware)}); that belongs in EdgeNet.Rig.Gpio or EdgeNet.Runtime.Devices");
        }

        foreach (var a in new[] { formats, kernels, rig, gpio, runtime, devices, deploy, trainer, fleet })
        {
            var commandOnly = References(a).Where(n => n.StartsWith("System.CommandLine", StringComparison.Ordinal) || n.StartsWith("ScottPlot", StringComparison.Ordinal) || n.StartsWith("Spectre", StringComparison.Ordinal)).ToArray();
            Assert.IsEmpty(commandOnly, $"{a.GetName().Name} (a library) references the command-line library {string.Join(", ", commandOnly)}");
        }
    }

    /// <summary>
    /// What the board runs uses no LINQ (Directory.Build.targets leaves it out of their usings): in the NativeAOT binary
    /// every Enumerable call over a value type is its own copy of LINQ's iterators and their type data.
    /// </summary>
    [TestMethod]
    public void Board_assemblies_use_no_linq()
    {
        var board = new[]
        {
            typeof(EdgeNet.Formats.Enb.BlobReader).Assembly, typeof(EdgeNet.Kernels.Simd.Gemm).Assembly, typeof(EdgeNet.Rig.Environments.CartPoleEnv).Assembly,
            typeof(EdgeNet.Rig.CartPole.GpioCartPoleRig).Assembly, typeof(EdgeNet.Runtime.Interpreter).Assembly,
            typeof(EdgeNet.Runtime.Training.Rl.RigDqnLoop).Assembly, typeof(EdgeNet.Runtime.Cli.EdgenetCli).Assembly,
            typeof(EdgeNet.Deploy.Install.Installer).Assembly, typeof(EdgeNet.Fleet.Payloads.TransitionBatch).Assembly,
        };
        foreach (var a in board)
        {
            using var pe = new PEReader(File.OpenRead(a.Location));
            var md = pe.GetMetadataReader();
            var linq = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var h in md.TypeReferences)
            {
                var t = md.GetTypeReference(h);
                if (md.GetString(t.Namespace) == "System.Linq")
                {
                    linq.Add(md.GetString(t.Name));
                }
            }

            Assert.IsEmpty(linq, $"{a.GetName().Name} uses System.Linq ({string.Join(", ", linq)}); write the loop (see Directory.Build.targets)");
            Assert.IsFalse(References(a).Contains("System.Linq"), $"{a.GetName().Name} references System.Linq");
        }
    }

    [GeneratedRegex(@"\bEdgeNet\.Trainer\.([A-Z][A-Za-z]+)|\b(Spectre)\.Console|\b(ScottPlot)\b")]
    private static partial Regex TrainerReference();

    /// <summary>Inside the trainer library the layers point one way: lower folders never name higher ones; console and plots live in the command (src/Trainer.Host).</summary>
    [TestMethod]
    public void Trainer_folders_point_one_way()
    {
        // Tensors and Autograd are one layer (a Tensor's operators are Ops calls, as tf.Tensor's are tf functions).
        var allowed = new Dictionary<string, string[]>
        {
            ["Backends"] = [],
            ["Tensors"] = ["Autograd", "Backends"],
            ["Autograd"] = ["Backends", "Tensors"],
            ["Data"] = ["Tensors"],
            ["Keras"] = ["Autograd", "Backends", "Tensors"],
            ["Export"] = ["Autograd", "Backends", "Data", "Keras", "Tensors"],
            ["Models"] = ["Autograd", "Data", "Keras", "Tensors"],
            ["Rl"] = ["Autograd", "Export", "Keras", "Tensors"],
            ["Import"] = ["Keras"], // an ONNX graph into Keras layers; the export path takes it from there
        };
        string root = Path.Combine(RepoPaths.Root, "src", "Trainer");
        var found = new List<string>();
        foreach (var (folder, may) in allowed)
        {
            foreach (string file in Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories))
            {
                string text = File.ReadAllText(file);
                foreach (Match m in TrainerReference().Matches(text))
                {
                    string target = m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Success ? "Spectre" : "ScottPlot";
                    if (target != folder && !may.Contains(target))
                    {
                        found.Add($"{Path.GetRelativePath(root, file)} uses {target}");
                    }
                }
            }
        }

        Assert.IsEmpty(found, "arrows that point up or to the console/plot libraries:\n" + string.Join("\n", found.Distinct()));
        Assert.IsEmpty(Directory.GetDirectories(root).Select(Path.GetFileName).Where(d => d is not ("bin" or "obj") && !allowed.ContainsKey(d!)),
            "every trainer library folder has its place in the arrows above (the command line is src/Trainer.Host)");
    }

    /// <summary>The kernels' int8 arithmetic (they depend on no other project) is the contract's, bit for bit.</summary>
    [TestMethod]
    public unsafe void Kernel_requantization_is_the_contracts_bit_for_bit()
    {
        var rng = new Random(11);
        for (int i = 0; i < 100_000; i++)
        {
            int acc = rng.Next(int.MinValue, int.MaxValue), mult = rng.Next(1 << 30, int.MaxValue), shift = rng.Next(-31, 31), zp = rng.Next(-128, 128), lo = rng.Next(2) == 0 ? -128 : Math.Max(-128, zp);
            Assert.AreEqual(EdgeNet.Formats.Contract.Int8Arithmetic.Requantize(acc, mult, shift, zp, lo), EdgeNet.Kernels.Requantize.Apply(acc, mult, shift, zp, lo), $"acc {acc} mult {mult} shift {shift} zp {zp}");
            Assert.AreEqual(EdgeNet.Formats.Contract.Int8Arithmetic.ShiftProblem(shift) is null, EdgeNet.Kernels.Requantize.ShiftInRange(shift));
            int small = rng.Next(-(1 << 20), 1 << 20), lshift = rng.Next(-20, 1);
            Assert.AreEqual(EdgeNet.Formats.Contract.Int8Arithmetic.LayerScale(mult, lshift), EdgeNet.Kernels.Requantize.LayerScale(mult, lshift));
            float ls = EdgeNet.Kernels.Requantize.LayerScale(mult, lshift);
            Assert.AreEqual(EdgeNet.Formats.Contract.Int8Arithmetic.RequantizeLayer(small, ls, zp, lo), EdgeNet.Kernels.Requantize.Layer(small, ls, zp, lo), $"acc {small} scale {ls} zp {zp}");
            Assert.AreEqual(EdgeNet.Formats.Contract.Int8Arithmetic.RequantizeLayer(acc, ls, zp, lo), EdgeNet.Kernels.Requantize.Layer(acc, ls, zp, lo), $"acc {acc} scale {ls} zp {zp}");
            int odd = (2 * (i % 400)) - 399;   // times ½: a tie
            Assert.AreEqual(EdgeNet.Formats.Contract.Int8Arithmetic.RequantizeLayer(odd, 0.5f, zp, lo), EdgeNet.Kernels.Requantize.Layer(odd, 0.5f, zp, lo), $"acc {odd} scale ½ zp {zp}");
            float x = (float)((rng.NextDouble() - 0.5) * 300), scale = (float)(rng.NextDouble() + 0.01);
            Assert.AreEqual(EdgeNet.Formats.Contract.Int8Arithmetic.Quantize(x, scale, zp), EdgeNet.Kernels.Requantize.Quantize(x, scale, zp));
            if (i % 100 == 0)
            {
                // An add's scales from a table the exporter would write, then codes: ties included (scales ½ and ¼).
                int[] table = i % 200 == 0 ? EdgeNet.Formats.Contract.Int8Arithmetic.AddRequant(1f, 0.5f, 2f)
                    : EdgeNet.Formats.Contract.Int8Arithmetic.AddRequant((float)(rng.NextDouble() + 1e-3), (float)(rng.NextDouble() + 1e-3), (float)(rng.NextDouble() + 1e-3));
                var k = EdgeNet.Formats.Contract.Int8Arithmetic.AddScales(table);
                fixed (int* t = table)
                {
                    Assert.AreEqual(k, EdgeNet.Kernels.Requantize.AddScales(t));
                }

                for (int j = 0; j < 200; j++)
                {
                    int a = rng.Next(-128, 128), b = rng.Next(-128, 128), za = rng.Next(-128, 128), zb = rng.Next(-128, 128);
                    Assert.AreEqual(EdgeNet.Formats.Contract.Int8Arithmetic.Add(a, za, b, zb, k, zp, lo, 127), EdgeNet.Kernels.Requantize.Add(a, za, b, zb, k.A, k.B, zp, lo, 127), $"add a {a} za {za} b {b} zb {zb} k {k} zp {zp}");
                }
            }
        }
    }
}
