using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using EdgeNet.Formats.Data;
using EdgeNet.Formats.Enb;
using EdgeNet.Tests.Shared;
using StbImageWriteSharp;

namespace EdgeNet.Samples.Tests;

/// <summary>
/// The chapter's listings in samples/, built as a user builds them: against the packages `dotnet pack` made (a
/// local feed), not the projects; each run briefly and checked against what it prints.
/// </summary>
[TestClass]
public sealed partial class SamplesTests
{
    private static readonly string Root = RepoPaths.Root;
    private static readonly string Feed = Path.Combine(Root, "artifacts", "packages");
    private static readonly string[] Libraries = ["EdgeNet.Formats", "EdgeNet.Kernels", "EdgeNet.Rig", "EdgeNet.Rig.Gpio", "EdgeNet.Trainer", "EdgeNet.Runtime", "EdgeNet.Runtime.Devices"];
    private static string s_work = "";

    /// <summary>The held-out digits, read once for the tests that draw PNGs from them.</summary>
    private static readonly Lazy<ImageDataset> HeldOut = new(() => Datasets.LoadDigits(Path.Combine(Root, "data", "mnist-digits")).Test);

    /// <summary>MlpFit run once (one epoch): what it printed and the int8 blob it wrote; the runtime tests read that blob.</summary>
    private static readonly Lazy<(string Output, string Blob)> Mlp = new(() =>
    {
        string blob = Path.Combine(s_work, "digits-int8.enb");
        return (RunSample("MlpFit", "1", blob), blob);
    });

    [ClassInitialize]
    public static void PackAndBuild(TestContext context)
    {
        _ = context;
        Run("bash", [Path.Combine(Root, "scripts", "pack.sh"), "--no-build"], Root, 300);
        Run("dotnet", ["build", Path.Combine(Root, "samples", "Samples.slnx"), "-c", "Release", "-nologo", "-v", "q"], Root, 400);
        s_work = Directory.CreateTempSubdirectory("edgenet-samples-").FullName;
    }

    [ClassCleanup]
    public static void CleanUp()
    {
        if (s_work.Length > 0)
        {
            Directory.Delete(s_work, recursive: true);
        }
    }

    [TestMethod]
    public void Packages_carry_their_metadata_docs_and_only_their_own_dependencies()
    {
        foreach (string id in Libraries)
        {
            string nupkg = Path.Combine(Feed, $"{id}.0.9.0.nupkg");
            Assert.IsTrue(File.Exists(nupkg), $"{nupkg} was packed");
            using var zip = ZipFile.OpenRead(nupkg);
            var nuspec = XDocument.Load(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
            string Field(string name) => nuspec.Descendants().FirstOrDefault(e => e.Name.LocalName == name)?.Value ?? "";
            Assert.IsGreaterThan(60, Field("description").Length, $"{id}: a description a package page can show");
            Assert.AreEqual("MIT", Field("license"), id);
            Assert.AreEqual("README.md", Field("readme"), id);
            Assert.IsNotNull(zip.GetEntry("README.md"), $"{id} carries its readme");
            Assert.IsNotNull(nuspec.Descendants().FirstOrDefault(e => e.Name.LocalName == "repository"), $"{id}: repository");
            Assert.IsNotNull(zip.GetEntry($"lib/net10.0/{id}.dll"), $"{id}: the assembly");
            Assert.IsNotNull(zip.GetEntry($"lib/net10.0/{id}.xml"), $"{id}: the XML documentation");

            var deps = nuspec.Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => e.Attribute("id")!.Value).ToArray();
            string[] commandOnly = ["System.CommandLine", "Spectre.Console", "ScottPlot"];
            Assert.IsEmpty(deps.Intersect(commandOnly), $"{id} depends on a command's library: {string.Join(", ", deps)}");
            if (id == "EdgeNet.Runtime")
            {
                CollectionAssert.AreEquivalent(new[] { "EdgeNet.Formats", "EdgeNet.Kernels", "EdgeNet.Rig", "StbImageSharp", "StbImageWriteSharp", "System.Numerics.Tensors" }, deps,
                    "the runtime package pulls none of the trainer's dependencies (Silk.NET, Protobuf), nor dotnet/iot");
            }
        }
    }

    [TestMethod]
    public void LinearRegression_prints_the_closed_form_values()
    {
        string output = RunSample("LinearRegression");
        // 100 steps of gradient descent on mean((X·a + b − y)²), X = [[1,2,3],[4,5,6]], y = [10,20], lr 0.01,
        // iterated in double precision (tests/EdgeNet.Trainer.Tests/ChapterExamplesTests.LinearReference).
        CollectionAssert.AreEqual(new[] { 0.40784496f, 1.191065f, 1.9742855f }, Floats(output, "kernel"), new FloatTolerance(1e-4f));
        CollectionAssert.AreEqual(new[] { 0.78322077f }, Floats(output, "bias"), new FloatTolerance(1e-4f));
    }

    [TestMethod]
    public void Conv7x7_prints_the_chapters_matrix()
    {
        string output = RunSample("Conv7x7");
        // The 5x5 matrix the chapter prints for the 3x3 filter with bias 1 over its 7x7 image.
        StringAssert.Contains(output, "strides=1, padding='valid': 5x5\n[  6   5  -2   1   2]\n[  3   0   3   2  -2]\n[  4   2  -1   0   0]\n[  2   1   2  -1  -3]\n[  1   1   1   3   1]\n");
        StringAssert.Contains(output, "strides=2, padding='valid': 3x3\n[  6  -2   2]\n[  4  -1   0]\n[  1   1   1]\n");
        StringAssert.Contains(output, "strides=1, padding='same': 7x7\n");
    }

    [TestMethod]
    public void CustomLayerLossMetric_trains_to_the_linear_values_and_counts_3_of_4()
    {
        string output = RunSample("CustomLayerLossMetric");
        CollectionAssert.AreEqual(new[] { 0.40784496f, 1.191065f, 1.9742855f }, Floats(output, "kernel"), new FloatTolerance(1e-4f));
        CollectionAssert.AreEqual(new[] { 0.78322077f }, Floats(output, "bias"), new FloatTolerance(1e-4f));
        StringAssert.Contains(output, "custom accuracy: 0.75, built-in accuracy: 0.75", "argmax rows 0,1,0,1 against labels 0,1,2,1: 3 of 4, by hand");
    }

    [TestMethod]
    public void MlpLoop_learns_the_digits_in_300_batches()
    {
        string output = RunSample("MlpLoop", "300");
        double first = Number(output, @"batch 0: loss ([\d.]+)");
        Assert.AreEqual(Math.Log(10), first, 0.3, "an untrained 10-class softmax starts near ln 10");
        Assert.IsGreaterThan(0.85, Number(output, @"test accuracy: ([\d.]+)"), output);
    }

    [TestMethod]
    public void MlpFit_exports_a_blob_that_ClassifyImage_reads_digits_with()
    {
        var (output, blob) = Mlp.Value;
        double floatAccuracy = Number(output, @"test accuracy: ([\d.]+)");
        Assert.IsGreaterThan(0.85, floatAccuracy, output);
        Assert.AreEqual(floatAccuracy, Number(output, @"int8 accuracy ([\d.]+)"), 0.02, "int8 within 2 points of float");
        using (var reader = BlobReader.Open(blob))
        {
            Assert.AreEqual("int8", reader.GetMetadata("quantization.scheme")?.AsString());
        }

        // Five held-out digits as PNG files, light on dark as MNIST, and one dark on light read with --invert.
        var test = HeldOut.Value;
        int right = 0;
        for (int i = 0; i < 5; i++)
        {
            string png = WritePng(test.Image(i), $"digit{i}.png", invert: false);
            string said = RunSample("ClassifyImage", blob, png);
            var m = Regex.Match(said, @"digit\d\.png: (\d) \(([\d.]+)[ ]?%\)");
            Assert.IsTrue(m.Success, said);
            right += int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) == test.Labels[i] ? 1 : 0;
            float p = float.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            Assert.IsTrue(p is > 10 and <= 100, said);
        }

        Assert.IsGreaterThanOrEqualTo(4, right, "at least 4 of 5 held-out digits read right");
        string plain = RunSample("ClassifyImage", blob, WritePng(test.Image(0), "plain.png", invert: false));
        string inverted = RunSample("ClassifyImage", blob, WritePng(test.Image(0), "inverted.png", invert: true), "--invert");
        Assert.AreEqual(Regex.Match(plain, @"top 3: (.*)").Groups[1].Value, Regex.Match(inverted, @"top 3: (.*)").Groups[1].Value, "dark on light with --invert reads as light on dark");
    }

    [TestMethod]
    public void Cnn_has_the_chapters_parameter_count_and_learns()
    {
        string output = RunSample("Cnn", "1000");
        StringAssert.Contains(output, "parameters: 3274634", "the chapter's model.summary(): 832 + 51,264 + 3,212,288 + 10,250");
        Assert.IsGreaterThan(0.6, Number(output, @"test accuracy: ([\d.]+)"), output);
    }

    [TestMethod]
    public void CharLstm_samples_at_four_temperatures()
    {
        string output = RunSample("CharLstm", "20");
        int chars = (int)Number(output, @", (\d+) distinct");
        Assert.AreEqual(Math.Log(chars), Number(output, @"batch 0: loss ([\d.]+)"), 0.15, "an untrained softmax over the vocabulary starts near ln(vocabulary)");
        Assert.IsLessThan(Number(output, @"batch 0: loss ([\d.]+)"), Number(output, @"batch 19: loss ([\d.]+)"), "the loss falls");
        foreach (string t in new[] { "0.2", "0.5", "1.0", "1.2" })
        {
            StringAssert.Contains(output, $"diversity {t}:\n");
        }
    }

    [TestMethod]
    public void DqnCartPole_trains_and_exports_a_Q_network_blob()
    {
        string output = RunSample("DqnCartPole", "3000");
        StringAssert.Contains(output, "episode 20: return ");
        double mean = Number(output, @"greedy mean return over 100 episodes: ([\d.]+)");
        Assert.IsTrue(mean is >= 8 and <= 500, $"CartPole-v1 returns lie in [8, 500]: {mean}");
        using var reader = BlobReader.Open(Path.Combine(s_work, "q-int8.enb"));
        var graph = reader.Graph!;
        CollectionAssert.AreEqual(new[] { -1, 4 }, graph.Values[graph.Inputs[0]].Dims.ToArray(), "four observations in");
        CollectionAssert.AreEqual(new[] { -1, 2 }, graph.Values[graph.Outputs[0]].Dims.ToArray(), "two Q-values out");
    }

    /// <summary>A user's folder outside the repository: the ClassifyImage program, a nuget.config naming only the local feed next to the default sources, and a packages folder of its own.</summary>
    [TestMethod]
    public void A_clean_folder_with_only_the_local_feed_builds_and_runs_the_runtime_sample()
    {
        string blob = Mlp.Value.Blob;
        string dir = Directory.CreateDirectory(Path.Combine(s_work, "clean")).FullName;
        File.Copy(Path.Combine(Root, "samples", "ClassifyImage", "Program.cs"), Path.Combine(dir, "Program.cs"));
        File.WriteAllText(Path.Combine(dir, "clean.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <RestorePackagesPath>packages</RestorePackagesPath>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="EdgeNet.Runtime" Version="0.9.0" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(dir, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="edgenet-local" value="{Feed}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(dir, "global.json"), """{ "sdk": { "version": "10.0.100", "rollForward": "latestFeature" } }""");
        var test = HeldOut.Value;
        string png = WritePng(test.Image(1), "clean.png", invert: false);
        string output = Run("dotnet", ["run", "-c", "Release", "--", blob, png], dir, 300);
        StringAssert.Contains(output, $"clean.png: {test.Labels[1]} (");
        Assert.IsFalse(Directory.Exists(Path.Combine(dir, "packages", "edgenet.trainer")), "the runtime package does not bring the trainer");
        Assert.IsFalse(Directory.Exists(Path.Combine(dir, "packages", "silk.net.opencl")), "nor its OpenCL binding");
        Assert.IsFalse(Directory.Exists(Path.Combine(dir, "packages", "iot.device.bindings")), "nor dotnet/iot: running a model needs no GPIO or camera bindings");
    }

    private static string RunSample(string name, params string[] args) =>
        Run("dotnet", [Path.Combine(Root, "samples", name, "bin", "Release", "net10.0", name + ".dll"), .. args], s_work, 300);

    private static string Run(string file, string[] args, string cwd, int timeoutSeconds)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["EDGENET_DATA"] = Path.Combine(Root, "data");
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"{file} {string.Join(' ', args)} ran past {timeoutSeconds} s");
        }

        Assert.AreEqual(0, p.ExitCode, $"{file} {string.Join(' ', args)} exited {p.ExitCode}:\n{stdout}\n{stderr.Result}");
        return stdout.Replace("\r\n", "\n", StringComparison.Ordinal);
    }

    private static string WritePng(ReadOnlySpan<float> digit, string name, bool invert)
    {
        byte[] pixels = new byte[digit.Length];
        for (int i = 0; i < pixels.Length; i++)
        {
            float v = Math.Clamp(digit[i], 0f, 1f) * 255f;
            pixels[i] = (byte)Math.Round(invert ? 255f - v : v);
        }

        string path = Path.Combine(s_work, name);
        using var s = File.Create(path);
        new ImageWriter().WritePng(pixels, 28, 28, ColorComponents.Grey, s);
        return path;
    }

    private static float[] Floats(string output, string label) =>
        Regex.Match(output, label + @": \[([^\]]*)\]").Groups[1].Value.Split(", ").Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();

    private static double Number(string output, string pattern)
    {
        var m = Regex.Match(output, pattern);
        Assert.IsTrue(m.Success, $"'{pattern}' not in:\n{output}");
        return double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
    }
}
