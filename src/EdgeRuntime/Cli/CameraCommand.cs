using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using EdgeNet.Formats.Data;
using EdgeNet.Runtime.Input;
using EdgeNet.Runtime.Input.Camera;
using StbImageWriteSharp;

namespace EdgeNet.Runtime.Cli;

/// <summary>
/// <c>edgenet camera</c> (a V4L2 camera live, or the synthetic camera measured) and <c>edgenet classify</c>
/// (image files): frames → MNIST-style 28×28 digits (<see cref="DigitPreprocessor"/>) → the digit model.
/// <c>--debug-dir</c> writes each stage's image; <c>--collect DIR --label D</c> saves the 28×28 digits in
/// the folder layout <c>edgenet finetune --data DIR</c> reads.
/// </summary>
internal static class CameraCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private sealed class Common
    {
        public Option<string> Model { get; } = new("--model") { Description = "the digit model (the chapter's CNN or MLP: 28x28 in, 10 classes out; int8 recommended)", Required = true };
        public Option<string?> DebugDir { get; } = new("--debug-dir") { Description = "write each stage's image per frame: luminance, ink mask, the 28x28 digit" };
        public Option<string?> Collect { get; } = new("--collect") { Description = "save each accepted 28x28 digit as DIR/LABEL/NNNNN.png (the layout 'edgenet finetune --data DIR' reads)" };
        public Option<int> Label { get; } = new("--label") { Description = "with --collect: the digit being shown", DefaultValueFactory = _ => -1 };
        public Option<string> Kernels { get; } = RunCommands.Variant();

        public void AddTo(Command c)
        {
            foreach (var o in new Option[] { Model, DebugDir, Collect, Label, Kernels })
            {
                c.Options.Add(o);
            }
        }
    }

    public static Command Camera(TextWriter o, TextWriter e)
    {
        var common = new Common();
        var device = new Option<string?>("--device") { Description = "a V4L2 camera, e.g. /dev/video0" };
        var synthetic = new Option<int>("--synthetic") { Description = "instead of a camera: N frames of the synthetic camera (held-out digits drawn on an unevenly lit page), with accuracy" };
        var format = new Option<string>("--format") { Description = "yuyv or mjpeg", DefaultValueFactory = _ => "yuyv" };
        var size = new Option<string>("--size") { Description = "WIDTHxHEIGHT", DefaultValueFactory = _ => "640x480" };
        var frames = new Option<int>("--frames") { Description = "with --device: stop after N frames (0: until Ctrl+C)" };
        var stable = new Option<string>("--stable") { Description = "k/n: show a digit once read in k of the last n frames", DefaultValueFactory = _ => "3/5" };
        var list = new Option<bool>("--list") { Description = "with --device: list the formats and sizes the camera offers" };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1 };
        var rotation = new Option<double>("--max-rotation") { Description = "with --synthetic: the largest rotation of a digit on the page [degrees]", DefaultValueFactory = _ => 10 };
        var scales = new Option<string>("--scale") { Description = "with --synthetic: MIN:MAX magnification of the 28x28 digit on the page", DefaultValueFactory = _ => "3:8" };
        var hand = new Option<string?>("--hand") { Description = "with --synthetic: another writer's hand, thick|thin and/or slant=S (e.g. thick,slant=0.3)" };
        var first = new Option<int>("--first-digit") { Description = "with --synthetic: the first held-out digit drawn (frames take the next ones)" };
        var replay = new Option<string?>("--replay") { Description = "instead of a camera: the frames saved in DIR (.yuyv of --size, .jpg), in name order; a folder named after a class labels its frames" };
        var save = new Option<string?>("--save-frames") { Description = "with --synthetic: also write each frame's bytes to DIR/NNNNN.yuyv|.jpg (scripts/bench-camera.sh times OpenCV on them)" };
        var print = new Option<bool>("--print-frames") { Description = "with --synthetic: a line per frame (its label, the reading or the rejection)" };
        var live = new Option<bool>("--live") { Description = "with --synthetic: the live display a camera gets (the stable digit, confidence, frames per second, per-stage latency) instead of the accuracy run" };
        var cmd = new Command("camera", "Recognise handwritten digits from a camera (V4L2) or the synthetic camera: MNIST-style preprocessing, the digit model, per-stage latency.")
        {
            device, synthetic, replay, format, size, frames, stable, list, seed, rotation, scales, hand, first, save, print, live,
        };
        common.AddTo(cmd);
        cmd.SetAction(p => EdgenetCli.Guard(e, () =>
        {
            var fmt = p.GetValue(format) switch
            {
                "yuyv" => FramePixelFormat.Yuyv,
                "mjpeg" => FramePixelFormat.Mjpeg,
                var f => throw new ArgumentException($"--format {f}: give yuyv or mjpeg"),
            };
            var (w, h) = ParseSize(p.GetValue(size)!);
            string? dev = p.GetValue(device);
            int n = p.GetValue(synthetic);
            var variant = RunCommands.Options(p, common.Kernels, RunCommands.Threads(), 1).Variant;
            if (ImageModel(p.GetValue(common.Model)!, variant) is { } images)
            {
                // An image model (MobileNetV2): whole frames through its pipeline, no digit preprocessing.
                using (images)
                {
                    string? folder = p.GetValue(replay);
                    if ((dev is null) == (folder is null) || n > 0)
                    {
                        throw new ArgumentException("an image model reads --device /dev/videoN or --replay DIR (the synthetic camera draws digits)");
                    }

                    var (ks, ns) = ParseStable(p.GetValue(stable)!);
                    using IFrameSource src = folder is not null ? new ReplayFrameSource(folder, w, h) : V4l2FrameSource.Open(dev!, w, h, fmt);
                    o.WriteLine($"{src.Description}; model {images.Description}");
                    using var stop = new CancellationTokenSource();
                    Console.CancelKeyPress += (_, a) =>
                    {
                        a.Cancel = true;
                        stop.Cancel();
                    };
                    RunImages(new Limited(src, p.GetValue(frames), stop.Token), images, new StabilityFilter(ks, ns), o, p.GetValue(print) || folder is not null);
                }

                return;
            }

            if ((dev is null) == (n <= 0))
            {
                throw new ArgumentException("give either --device /dev/videoN or --synthetic N");
            }

            if (dev is not null && p.GetValue(list))
            {
                foreach (string line in V4l2FrameSource.Describe(dev))
                {
                    o.WriteLine(line);
                }

                return;
            }

            if (p.GetValue(replay) is not null)
            {
                throw new ArgumentException("--replay is for image models (MobileNetV2); a digit model reads --device or --synthetic N (classify reads image files)");
            }

            using var classifier = new DigitClassifier(p.GetValue(common.Model)!, new InterpreterOptions { Variant = variant });
            if (n > 0)
            {
                var digits = Datasets.LoadDigits().Test;
                var sc = p.GetValue(scales)!.Split(':');
                if (sc.Length != 2 || !double.TryParse(sc[0], NumberStyles.Float, Inv, out double lo) || !double.TryParse(sc[1], NumberStyles.Float, Inv, out double hi) || !(lo >= 1 && hi >= lo))
                {
                    throw new ArgumentException($"--scale {p.GetValue(scales)}: give MIN:MAX with 1 <= MIN <= MAX, e.g. 3:8");
                }

                using var camera = new SyntheticCamera(digits, n, fmt, p.GetValue(seed), w, h, new SyntheticCameraOptions { MaxRotation = p.GetValue(rotation), MinScale = lo, MaxScale = hi, FirstDigit = Math.Max(0, p.GetValue(first)) }.WithHand(p.GetValue(hand)));
                o.WriteLine($"{camera.Description}; model {classifier.Description}");
                IFrameSource frames0 = p.GetValue(save) is { } saveDir ? new Saving(camera, saveDir) : camera;
                if (p.GetValue(live))
                {
                    var (ks, ns) = ParseStable(p.GetValue(stable)!);
                    o.WriteLine(RunPipeline(frames0, classifier, common, p, o, new StabilityFilter(ks, ns)).Summary());
                    return;
                }

                var stats = RunPipeline(frames0, classifier, common, p, o, live: null, perFrame: p.GetValue(print));
                int clean = 0;
                for (int i = 0; i < n; i++)
                {
                    clean += classifier.Classify(camera.Handwritten(i)) == digits.Labels[camera.Index(i)] ? 1 : 0; // the 28x28 digit in the camera's hand, no camera
                }

                o.WriteLine(string.Create(Inv, $"accuracy {(double)stats.Correct / n:F4} ({stats.Correct}/{n}; rejected frames count as wrong); the model on the same {n} clean 28x28 digits: {(double)clean / n:F4}"));
                o.WriteLine(stats.Summary());
                return;
            }

            var (k, window) = ParseStable(p.GetValue(stable)!);
            using var source = V4l2FrameSource.Open(dev!, w, h, fmt);
            o.WriteLine($"{source.Description}; model {classifier.Description}; Ctrl+C stops");
            using var cancel = new CancellationTokenSource();
            Console.CancelKeyPress += (_, a) =>
            {
                a.Cancel = true;
                cancel.Cancel();
            };
            var filter = new StabilityFilter(k, window);
            var stats2 = RunPipeline(new Limited(source, p.GetValue(frames), cancel.Token), classifier, common, p, o, filter);
            o.WriteLine($"{stats2.Summary()}; dropped {source.Dropped} frames the pipeline was too slow for");
        }));
        return cmd;
    }

    /// <summary>The model as an image classifier when it states an image pipeline (MobileNetV2); null for a digit model.</summary>
    private static ImageClassifier? ImageModel(string path, KernelVariant variant)
    {
        using (var blob = Formats.Enb.BlobReader.Open(path)) // the metadata only: a digit model is not planned twice
        {
            if (!ModelInfo.HasPipeline(blob))
            {
                return null;
            }
        }

        return new ImageClassifier(path, new InterpreterOptions { Variant = variant });
    }

    /// <summary>Frames → RGB → the model's pipeline → the model: the stable class, per-stage latency, accuracy where folders name classes.</summary>
    private static void RunImages(IFrameSource source, ImageClassifier model, StabilityFilter filter, TextWriter o, bool perFrame)
    {
        var image = new FrameImage();
        var convert = new List<double>();
        var infer = new List<double>();
        int frames = 0, labelled = 0, correct = 0, shown = -1;
        var rate = new FrameRate();
        double Ms(long a, long b) => (b - a) * 1000.0 / Stopwatch.Frequency;
        while (source.TryRead(out var frame))
        {
            rate.Arrived(Stopwatch.GetTimestamp());
            frames++;
            string name = frame.Name ?? $"frame {frames}";
            long t0 = Stopwatch.GetTimestamp();
            try
            {
                image.Load(frame);
            }
            catch (InvalidDataException ex)
            {
                o.WriteLine($"{name}: rejected: {ex.Message}");
                continue;
            }

            long t1 = Stopwatch.GetTimestamp();
            int top = model.ClassifyImage(image.Pixels, image.Height, image.Width, image.Channels);
            long t2 = Stopwatch.GetTimestamp();
            convert.Add(Ms(t0, t1));
            infer.Add(Ms(t1, t2));
            float confidence = model.Probabilities[top];
            string? folder = frame.Name is null ? null : Path.GetFileName(Path.GetDirectoryName(frame.Name));
            int label = folder is null ? -1 : IndexOf(model.ClassNames, folder);
            if (label >= 0)
            {
                labelled++;
                correct += label == top ? 1 : 0;
            }

            int stable = filter.Add(top);
            if (perFrame)
            {
                o.WriteLine(string.Create(Inv, $"{name}: {model.ClassNames[top]} {confidence:F3}{(label >= 0 ? (label == top ? " (right)" : $" (wrong: {model.ClassNames[label]})") : "")}"));
            }
            else if (stable != shown && stable >= 0)
            {
                o.WriteLine(string.Create(Inv, $"{model.ClassNames[stable]} ({confidence:F2})  {rate.PerSecond:F1} fps  frame→RGB {convert[^1]:F1} ms, pipeline+model {infer[^1]:F1} ms"));
            }

            shown = stable >= 0 ? stable : shown;
        }

        static double P50(List<double> v)
        {
            var s = v.ToArray();
            Array.Sort(s);
            return s.Length == 0 ? double.NaN : s[s.Length / 2];
        }

        string accuracy = labelled > 0 ? string.Create(Inv, $"; accuracy {(double)correct / labelled:F4} ({correct}/{labelled} frames in folders named by class)") : "";
        o.WriteLine(string.Create(Inv, $"{frames} frames; median frame→RGB {P50(convert):F2} ms, pipeline + model {P50(infer):F2} ms{accuracy}"));
    }

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (int i = 0; i < names.Count; i++)
        {
            if (string.Equals(names[i], name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }

    public static Command Classify(TextWriter o, TextWriter e)
    {
        var common = new Common();
        var images = new Argument<string[]>("images") { Description = "PNG, JPEG, BMP or PGM files: digits on paper for a digit model, any photo for an image model with a pipeline (MobileNetV2)", Arity = ArgumentArity.OneOrMore };
        var cmd = new Command("classify", "Classify image files: a digit model reads handwritten digits (MNIST-style preprocessing; rejected images say why), an image model (MobileNetV2) takes any photo cropped and resized as its metadata says and prints the top 5.") { images };
        common.AddTo(cmd);
        cmd.SetAction(p => EdgenetCli.Guard(e, () =>
        {
            var variant = RunCommands.Options(p, common.Kernels, RunCommands.Threads(), 1).Variant;
            using (var general = new ImageClassifier(p.GetValue(common.Model)!, new InterpreterOptions { Variant = variant }))
            {
                if (ModelInfo.HasPipeline(general.Model.Blob))
                {
                    // Not a digit reader: each photo through the blob's own pipeline, the five most probable classes.
                    foreach (string path in p.GetValue(images)!)
                    {
                        try
                        {
                            var sw = System.Diagnostics.Stopwatch.StartNew();
                            var top = general.ClassifyFile(path, k: 5);
                            o.WriteLine($"{path}: {CliFormat.Join(", ", top.Count, i => $"{top[i].Name} {top[i].Probability.ToString("F3", Inv)}")}  ({sw.Elapsed.TotalMilliseconds.ToString("F1", Inv)} ms)");
                        }
                        catch (Exception ex) when (ex is InvalidDataException or FileNotFoundException)
                        {
                            o.WriteLine($"{path}: rejected: {ex.Message}");
                        }
                    }

                    return;
                }
            }

            using var classifier = new DigitClassifier(p.GetValue(common.Model)!, new InterpreterOptions { Variant = variant });
            using var files = new FolderFrameSource(p.GetValue(images)!);
            var stats = RunPipeline(files, classifier, common, p, o, live: null, perFrame: true, unreadable: () => files.LastError);
            o.WriteLine(stats.Summary());
        }));
        return cmd;
    }

    /// <summary>What a run measured.</summary>
    private sealed class PipelineStats
    {
        public int Frames { get; set; }

        public int Correct { get; set; }

        public int Labelled { get; set; }

        public Dictionary<Rejection, int> Rejected { get; } = [];

        public List<double> Decode { get; } = [];

        public List<double> Preprocess { get; } = [];

        public List<double> Inference { get; } = [];

        public double Seconds { get; set; }

        public long AllocatedAfterFirst { get; set; }

        public string Summary()
        {
            static double Q(List<double> v, double q)
            {
                if (v.Count == 0)
                {
                    return double.NaN;
                }

                var s = v.ToArray();
                Array.Sort(s);
                return s[Math.Clamp((int)Math.Ceiling(q * s.Length) - 1, 0, s.Length - 1)];
            }

            var counts = new List<KeyValuePair<Rejection, int>>(Rejected);
            counts.Sort((a, b) => a.Value != b.Value ? b.Value.CompareTo(a.Value) : a.Key.CompareTo(b.Key));   // most first
            string rejected = counts.Count == 0 ? "none" : CliFormat.Join(", ", counts.Count, i => $"{counts[i].Value} {counts[i].Key}");
            return string.Create(Inv, $"{Frames} frames, rejected: {rejected}; per frame p50/p99: decode {Q(Decode, 0.5):F3}/{Q(Decode, 0.99):F3} ms, preprocess {Q(Preprocess, 0.5):F3}/{Q(Preprocess, 0.99):F3} ms, inference {Q(Inference, 0.5):F3}/{Q(Inference, 0.99):F3} ms; {Frames / Math.Max(1e-9, Seconds):F0} frames/s through the pipeline; allocated after the first frame {AllocatedAfterFirst} B");
        }
    }

    private static string TopText((int Class, float P)[] top, IReadOnlyList<string> names) =>
        CliFormat.Join(", ", top.Length, i => $"{names[top[i].Class]} {top[i].P.ToString("F3", Inv)}");

    private static PipelineStats RunPipeline(IFrameSource source, DigitClassifier classifier, Common common, ParseResult p, TextWriter o, StabilityFilter? live, bool perFrame = false, Func<string?>? unreadable = null)
    {
        string? debug = p.GetValue(common.DebugDir), collect = p.GetValue(common.Collect);
        int label = p.GetValue(common.Label);
        if (collect is not null && label is < -1 or > 9)
        {
            throw new ArgumentException("--label D: the digit (0-9) the frames show");
        }

        if (debug is not null)
        {
            Directory.CreateDirectory(debug);
        }

        var stats = new PipelineStats();
        var digit = new float[DigitPreprocessor.Side * DigitPreprocessor.Side];
        DigitPreprocessor? pre = null;
        var writer = new ImageWriter();
        long allocated = 0;
        int collected = 0;
        var rate = new FrameRate();
        double F(long t0, long t1) => (t1 - t0) * 1000.0 / Stopwatch.Frequency;
        while (source.TryRead(out var frame))
        {
            rate.Arrived(Stopwatch.GetTimestamp());
            string name = frame.Name ?? $"frame {stats.Frames}";
            if (unreadable?.Invoke() is { } why)
            {
                stats.Frames++;
                stats.Rejected[Rejection.Undecodable] = stats.Rejected.GetValueOrDefault(Rejection.Undecodable) + 1;
                o.WriteLine($"{name}: rejected: {why}");
                continue;
            }

            if (pre is null || (frame.Format != FramePixelFormat.Mjpeg && (pre.Width != frame.Width || pre.Height != frame.Height)))
            {
                pre = new DigitPreprocessor(Math.Max(DigitPreprocessor.Side, frame.Width), Math.Max(DigitPreprocessor.Side, frame.Height)); // planned once per frame size
            }

            long a0 = GC.GetAllocatedBytesForCurrentThread();
            long t0 = Stopwatch.GetTimestamp();
            var loaded = pre.Load(frame);
            long t1 = Stopwatch.GetTimestamp();
            var found = loaded ?? pre.Find(digit);
            long t2 = Stopwatch.GetTimestamp();
            int guess = -1;
            if (found.Accepted)
            {
                guess = classifier.Classify(digit);
            }

            long t3 = Stopwatch.GetTimestamp();
            if (stats.Frames > 0)
            {
                allocated += GC.GetAllocatedBytesForCurrentThread() - a0; // the pipeline's own: decode, preprocess, inference
            }

            stats.Frames++;
            stats.Decode.Add(F(t0, t1));
            stats.Preprocess.Add(F(t1, t2));
            if (found.Accepted)
            {
                stats.Inference.Add(F(t2, t3));
            }

            stats.Seconds += (t3 - t0) / (double)Stopwatch.Frequency;
            if (!found.Accepted)
            {
                stats.Rejected[found.Rejected] = stats.Rejected.GetValueOrDefault(found.Rejected) + 1;
            }

            if (frame.Label >= 0)
            {
                stats.Labelled++;
                stats.Correct += guess == frame.Label ? 1 : 0;
            }

            if (perFrame || live is not null)
            {
                string text = found.Accepted
                    ? $"digit {classifier.ClassNames[guess]} (p {classifier.Probabilities[guess].ToString("F3", Inv)}), top 3: {TopText(classifier.Top(3), classifier.ClassNames)}"
                    : $"rejected: {found.Reason}";
                if (live is not null)
                {
                    int shown = live.Add(guess);
                    text = string.Create(Inv, $"{(shown >= 0 ? $"[{classifier.ClassNames[shown]}]" : "[ ]")} {text}; {(double.IsNaN(rate.PerSecond) ? "-" : rate.PerSecond.ToString("F1", Inv))} fps; decode/preprocess/inference {F(t0, t1):F1}/{F(t1, t2):F1}/{F(t2, t3):F1} ms");
                }

                o.WriteLine(frame.Label >= 0 ? $"{name} (label {frame.Label}): {text}" : $"{name}: {text}");
            }

            if (debug is not null)
            {
                WriteDebug(writer, debug, stats.Frames, pre, found, digit);
                if (source is SyntheticCamera synthetic)
                {
                    WritePng(writer, Path.Combine(debug, $"{stats.Frames:D5}-0-drawn28.png"), ToBytes(synthetic.LastDigit), DigitPreprocessor.Side, DigitPreprocessor.Side);
                }
            }

            int collectAs = label >= 0 ? label : frame.Label;
            if (collect is not null && found.Accepted && collectAs < 0)
            {
                throw new ArgumentException("--collect needs --label D: the digit (0-9) the frames show");
            }

            if (collect is not null && found.Accepted)
            {
                string folder = Path.Combine(collect, collectAs.ToString(Inv));
                Directory.CreateDirectory(folder);
                int index = Directory.GetFiles(folder, "*.png").Length + collected++;
                WritePng(writer, Path.Combine(folder, $"{index:D5}.png"), ToBytes(digit), DigitPreprocessor.Side, DigitPreprocessor.Side);
            }
        }

        stats.AllocatedAfterFirst = allocated;

        if (collect is not null)
        {
            o.WriteLine($"collected {collected} digits into {(label >= 0 ? Path.Combine(collect, label.ToString(Inv)) : collect + " (by the frames' labels)")}");
        }

        return stats;
    }

    private static byte[] ToBytes(ReadOnlySpan<float> digit)
    {
        var b = new byte[digit.Length];
        for (int i = 0; i < b.Length; i++)
        {
            b[i] = (byte)Math.Clamp(Math.Round(digit[i] * 255), 0, 255);
        }

        return b;
    }

    private static void WriteDebug(ImageWriter writer, string dir, int n, DigitPreprocessor pre, DigitFinding found, float[] digit)
    {
        string stem = Path.Combine(dir, n.ToString("D5", Inv));
        byte[] luma = pre.Luminance.ToArray();
        WritePng(writer, stem + "-1-luminance.png", luma, pre.Width, pre.Height);
        var ink = new byte[luma.Length];
        var labels = pre.Labels;
        for (int i = 0; i < ink.Length; i++)
        {
            ink[i] = labels[i] == 0 ? (byte)0 : (byte)128; // every ink component grey
        }

        if (found.Area > 0)
        {
            var (x, y, w, h) = found.Box;
            for (int yy = y; yy < y + h; yy++)
            {
                for (int xx = x; xx < x + w; xx++)
                {
                    int i = (yy * pre.Width) + xx;
                    ink[i] = labels[i] != 0 && luma[i] <= found.Threshold ? (byte)255 : ink[i]; // the digit's box: its ink white
                }
            }
        }

        WritePng(writer, stem + "-2-ink.png", ink, pre.Width, pre.Height);
        if (found.Accepted)
        {
            WritePng(writer, stem + "-3-digit28.png", ToBytes(digit), DigitPreprocessor.Side, DigitPreprocessor.Side);
        }
    }

    private static void WritePng(ImageWriter writer, string path, byte[] grey, int w, int h)
    {
        using var s = File.Create(path);
        writer.WritePng(grey, w, h, StbImageWriteSharp.ColorComponents.Grey, s);
    }

    private static (int W, int H) ParseSize(string text)
    {
        var parts = text.Split('x');
        return parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, Inv, out int w) && int.TryParse(parts[1], NumberStyles.None, Inv, out int h) && w >= 28 && h >= 28
            ? (w, h)
            : throw new ArgumentException($"--size {text}: give WIDTHxHEIGHT, at least 28x28, e.g. 640x480");
    }

    private static (int K, int N) ParseStable(string text)
    {
        var parts = text.Split('/');
        return parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, Inv, out int k) && int.TryParse(parts[1], NumberStyles.None, Inv, out int n) && k >= 1 && k <= n
            ? (k, n)
            : throw new ArgumentException($"--stable {text}: give k/n with 1 <= k <= n, e.g. 3/5");
    }

    /// <summary>A source that also writes each frame's bytes to a folder.</summary>
    private sealed class Saving(IFrameSource inner, string dir) : IFrameSource
    {
        private int _n;

        public string Description => inner.Description;

        public bool TryRead(out Frame frame)
        {
            if (!inner.TryRead(out frame))
            {
                return false;
            }

            Directory.CreateDirectory(dir);
            string ext = frame.Format switch { FramePixelFormat.Yuyv => "yuyv", FramePixelFormat.Mjpeg => "jpg", _ => "gray" };
            File.WriteAllBytes(Path.Combine(dir, $"{_n++:D5}.{ext}"), frame.Data.ToArray());
            return true;
        }

        public void Dispose()
        {
        }
    }

    /// <summary>A source cut after N frames (0: unlimited) or at a cancellation.</summary>
    private sealed class Limited(IFrameSource inner, int limit, CancellationToken cancel) : IFrameSource
    {
        private int _read;

        public string Description => inner.Description;

        public bool TryRead(out Frame frame)
        {
            if (cancel.IsCancellationRequested || (limit > 0 && _read >= limit))
            {
                frame = default;
                return false;
            }

            _read++;
            return inner.TryRead(out frame);
        }

        public void Dispose()
        {
        }
    }
}
