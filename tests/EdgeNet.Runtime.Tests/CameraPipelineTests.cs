using EdgeNet.Formats.Data;
using EdgeNet.Runtime.Input.Camera;

namespace EdgeNet.Runtime.Tests;

/// <summary>The camera pipeline's preprocessing: Otsu and the centre-of-mass placement by hand, rejections, the synthetic camera against the MNIST digits it drew.</summary>
[TestClass]
public sealed class CameraPipelineTests
{
    /// <summary>A grey page (<paramref name="paper"/>) with <paramref name="ink"/> where <paramref name="isInk"/> says.</summary>
    private static Frame Page(int w, int h, byte paper, byte ink, Func<int, int, bool> isInk)
    {
        var data = new byte[w * h];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                data[(y * w) + x] = isInk(x, y) ? ink : paper;
            }
        }

        return new Frame(w, h, FramePixelFormat.Gray8, data);
    }

    [TestMethod]
    public void Otsu_picks_the_threshold_of_the_largest_between_class_variance_by_hand()
    {
        // Levels 20 (x4), 100 (x2), 220 (x6). Splitting after 20: 4*8*(190-20)^2 = 924,800.
        // Splitting after 100: 6*6*(220-46.67)^2 = 1,081,600, the larger: t = 100.
        var h = new int[256];
        (h[20], h[100], h[220]) = (4, 2, 6);
        int t = DigitPreprocessor.Otsu(h, out double dark, out double light);
        Assert.AreEqual(100, t);
        Assert.AreEqual(280.0 / 6, dark, 1e-9);
        Assert.AreEqual(220.0, light, 1e-9);
    }

    [TestMethod]
    public void An_L_lands_with_its_centre_of_mass_at_the_fields_centre_by_hand()
    {
        // An L 12 wide and 20 tall (the fit box's height: scale 1): a bar x 0..3, y 0..19 and a foot x 4..11,
        // y 16..19. Mass 80 + 32 = 112; centre of mass in pixel indices (MNIST's convention) x = (80*1.5 +
        // 32*7.5)/112 = 3.214, y = (80*9.5 + 32*17.5)/112 = 11.786, so the L's corner goes to
        // (round(14 - 3.214), round(14 - 11.786)) = (11, 2).
        const int X = 40, Y = 30;
        var frame = Page(100, 80, 200, 40, (x, y) => (x >= X && x < X + 4 && y >= Y && y < Y + 20) || (x >= X + 4 && x < X + 12 && y >= Y + 16 && y < Y + 20));
        var pre = new DigitPreprocessor(100, 80);
        var digit = new float[784];
        var found = pre.Process(frame, digit);
        Assert.IsTrue(found.Accepted, found.Reason);
        Assert.AreEqual((X, Y, 12, 20), found.Box);
        Assert.AreEqual(112, found.Area);
        for (int y = 0; y < 28; y++)
        {
            for (int x = 0; x < 28; x++)
            {
                int lx = x - 11, ly = y - 2;
                bool ink = (lx is >= 0 and < 4 && ly is >= 0 and < 20) || (lx is >= 4 and < 12 && ly is >= 16 and < 20);
                Assert.AreEqual(ink ? 1f : 0f, digit[(y * 28) + x], 1e-6, $"({x}, {y})");
            }
        }
    }

    [TestMethod]
    public void A_tall_box_is_scaled_to_20_pixels_by_area_averaging()
    {
        // A bar 5 wide, 40 tall: scale 20/40 = 0.5 gives 2.5 columns -> 3, the last one half covered, and 20 rows.
        var frame = Page(120, 90, 220, 20, (x, y) => x >= 50 && x < 55 && y >= 20 && y < 60);
        var pre = new DigitPreprocessor(120, 90);
        var digit = new float[784];
        Assert.IsTrue(pre.Process(frame, digit).Accepted);
        double mass = digit.Sum();
        Assert.AreEqual(5 * 40 * 0.25, mass, 1e-3, "area averaging keeps the ink: 200 source pixels at a quarter each");
        int rows = Enumerable.Range(0, 28).Count(y => Enumerable.Range(0, 28).Any(x => digit[(y * 28) + x] > 0));
        Assert.AreEqual(20, rows);
    }

    [TestMethod]
    public void Frames_without_a_digit_are_rejected_with_a_reason_and_no_exception()
    {
        var pre = new DigitPreprocessor(160, 120);
        var digit = new float[784];
        DigitFinding Run(Frame f) => pre.Process(f, digit);

        var blank = Run(Page(160, 120, 210, 210, (_, _) => false));
        Assert.AreEqual(Rejection.LowContrast, blank.Rejected, blank.Reason);
        StringAssert.Contains(blank.Reason, "low contrast");

        var speck = Run(Page(160, 120, 210, 30, (x, y) => x is >= 70 and < 73 && y is >= 50 and < 53));
        Assert.AreEqual(Rejection.TooSmall, speck.Rejected, speck.Reason);
        StringAssert.Contains(speck.Reason, "3x3");

        var edge = Run(Page(160, 120, 210, 30, (x, y) => x < 4 && y is >= 30 and < 70));
        Assert.AreEqual(Rejection.TouchesBorder, edge.Rejected, edge.Reason);

        var shadow = Run(Page(160, 120, 210, 30, (x, y) => x is >= 20 and < 140 && y is >= 10 and < 110));
        Assert.AreNotEqual(Rejection.None, shadow.Rejected, "a dark region over most of the frame is no digit");

        var wrongSize = Run(new Frame(320, 240, FramePixelFormat.Yuyv, new byte[320 * 240 * 2]));
        Assert.AreEqual(Rejection.WrongSize, wrongSize.Rejected);
        StringAssert.Contains(wrongSize.Reason, "320x240; this pipeline was planned for 160x120");

        var truncated = Run(new Frame(160, 120, FramePixelFormat.Yuyv, new byte[(160 * 120 * 2) - 100]));
        Assert.AreEqual(Rejection.WrongSize, truncated.Rejected);
        StringAssert.Contains(truncated.Reason, "38300 bytes; 160x120 needs 38400 (a truncated buffer?)");

        var jpeg = Run(new Frame(160, 120, FramePixelFormat.Mjpeg, new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0, 16, (byte)'J', (byte)'F', 1, 2, 3 }));
        Assert.AreEqual(Rejection.Undecodable, jpeg.Rejected, jpeg.Reason);
        StringAssert.Contains(jpeg.Reason, "JPEG frame cannot be decoded");
    }

    [TestMethod]
    public void Truncated_and_corrupted_jpeg_frames_are_rejected_or_decoded_never_hang()
    {
        // StbImageSharp does not return on some truncated headers: every cut and every flipped byte of a real
        // frame must come back (a rejection or a decode) within the time limit.
        var digits = Datasets.LoadDigits().Test;
        using var camera = new SyntheticCamera(digits, 1, FramePixelFormat.Mjpeg, seed: 2, width: 160, height: 120, options: new SyntheticCameraOptions { MinScale = 3, MaxScale = 3 });
        Assert.IsTrue(camera.TryRead(out var good));
        byte[] jpeg = good.Data.ToArray();
        var pre = new DigitPreprocessor(160, 120);
        var digit = new float[784];
        Assert.IsTrue(pre.Process(good, digit).Accepted, "the intact frame");
        var cases = new List<byte[]>();
        for (int cut = 1; cut < jpeg.Length; cut += Math.Max(1, jpeg.Length / 60))
        {
            cases.Add(jpeg[..cut]);
        }

        cases.Add([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, (byte)'J', (byte)'F', 0x01, 0x02, 0x03]); // a header cut inside JFIF's APP0: StbImageSharp never returns on this one
        var rng = new Random(9);
        for (int i = 0; i < 40; i++)
        {
            byte[] bad = (byte[])jpeg.Clone();
            bad[rng.Next(2, Math.Min(bad.Length, 700))] ^= (byte)rng.Next(1, 256); // mostly the headers
            cases.Add(bad);
        }

        int rejected = 0;
        var run = Task.Run(() =>
        {
            var d = new float[784];
            foreach (byte[] c in cases)
            {
                var f = pre.Process(new Frame(160, 120, FramePixelFormat.Mjpeg, c), d);
                rejected += f.Rejected == Rejection.Undecodable ? 1 : 0;
            }
        });
        Assert.IsTrue(run.Wait(TimeSpan.FromSeconds(60)), "every damaged frame came back");
        Assert.IsGreaterThan(cases.Count / 2, rejected, "most damaged frames are rejected as undecodable");
    }

    [TestMethod]
    public void Upright_synthetic_frames_give_back_the_mnist_digit_they_drew()
    {
        // MNIST's digits were made by this procedure (fit 20x20, centre of mass at the centre): drawn upright at
        // 4-8x on an unevenly lit, blurred, noisy page and preprocessed again, each must come back close to itself.
        var digits = Datasets.LoadDigits().Test;
        using var camera = new SyntheticCamera(digits, 60, FramePixelFormat.Yuyv, seed: 3, options: new SyntheticCameraOptions { MinScale = 4, MaxScale = 8, MaxRotation = 0 });
        var pre = new DigitPreprocessor(640, 480);
        var digit = new float[784];
        var correlations = new List<double>();
        while (camera.TryRead(out var frame))
        {
            var found = pre.Process(frame, digit);
            Assert.IsTrue(found.Accepted, $"{frame.Name}: {found.Reason}");
            correlations.Add(Correlation(digit, camera.LastDigit));
        }

        correlations.Sort();
        Assert.IsGreaterThan(0.95, correlations[correlations.Count / 2], $"median correlation with the drawn digit; all: {string.Join(", ", correlations.Select(c => c.ToString("F2")))}");
        Assert.IsGreaterThan(0.8, correlations[correlations.Count / 10], $"the 10th percentile (a frame one pixel off correlates about 0.8); all: {string.Join(", ", correlations.Select(c => c.ToString("F2")))}");
    }

    [TestMethod]
    public void A_raw_frame_is_processed_without_allocating_after_the_first()
    {
        var digits = Datasets.LoadDigits().Test;
        using var camera = new SyntheticCamera(digits, 12, FramePixelFormat.Yuyv, seed: 5);
        var frames = new List<byte[]>();
        while (camera.TryRead(out var f))
        {
            frames.Add(f.Data.ToArray());
        }

        var pre = new DigitPreprocessor(640, 480);
        var digit = new float[784];
        pre.Process(new Frame(640, 480, FramePixelFormat.Yuyv, frames[0]), digit);

        // A pass that allocates nothing proves the frame path allocates nothing: an allocation in the code would
        // show in every pass. A later pass is allowed because the runtime itself, not this code, has been seen to
        // charge this thread a few bytes once while it compiles the long loops' tier-up (CI, AVX2, 1 run in ~30).
        var passes = new List<long>();
        int accepted = 0;
        while (passes.Count < 4 && (passes.Count == 0 || passes[^1] != 0))
        {
            accepted = 0;
            long before = GC.GetAllocatedBytesForCurrentThread();
            foreach (byte[] f in frames)
            {
                accepted += pre.Process(new Frame(640, 480, FramePixelFormat.Yuyv, f), digit).Accepted ? 1 : 0;
            }

            passes.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.AreEqual(0L, passes[^1], $"bytes allocated by 12 YUYV frames after the first, pass by pass: {string.Join(", ", passes)}");
        Assert.AreEqual(12, accepted);
    }

    [TestMethod]
    public void Another_hand_thickens_and_slants_the_digit()
    {
        var digits = Datasets.LoadDigits().Test;
        using var plain = new SyntheticCamera(digits, 1, FramePixelFormat.Gray8);
        using var thick = new SyntheticCamera(digits, 1, FramePixelFormat.Gray8, options: new SyntheticCameraOptions().WithHand("thick"));
        using var slanted = new SyntheticCamera(digits, 1, FramePixelFormat.Gray8, options: new SyntheticCameraOptions().WithHand("slant=0.5"));
        float[] a = plain.Handwritten(0).ToArray(), b = thick.Handwritten(0).ToArray(), c = slanted.Handwritten(0).ToArray();
        CollectionAssert.AreEqual(digits.Image(0).ToArray(), a, "no hand: the digit as written");
        for (int i = 0; i < 784; i++)
        {
            Assert.IsGreaterThanOrEqualTo(a[i], b[i], "a 3x3 dilation never lightens a pixel");
        }

        // slant=0.5 moves a row (14 - y)/2 columns right: the digit's top row's centre of ink moves by that.
        static double Centre(float[] img, int row) => Enumerable.Range(0, 28).Sum(x => x * img[(row * 28) + x]) / Math.Max(1e-9, Enumerable.Range(0, 28).Sum(x => img[(row * 28) + x]));
        int top = Enumerable.Range(0, 28).First(y => Enumerable.Range(0, 28).Any(x => a[(y * 28) + x] > 0.5f)); // the digit's first row
        Assert.AreEqual(Centre(a, top) + (0.5 * (14 - top)), Centre(c, top), 1.0, $"row {top}");
        Assert.ThrowsExactly<ArgumentException>(() => new SyntheticCameraOptions().WithHand("wobbly"));
    }

    [TestMethod]
    public void The_stability_filter_shows_a_digit_read_in_k_of_the_last_n_frames()
    {
        var f = new StabilityFilter(3, 5);
        int[] readings = [7, 7, -1, 7, 1, 1, 1, 7];
        int[] shown = readings.Select(f.Add).ToArray();
        CollectionAssert.AreEqual(new[] { -1, -1, -1, 7, -1, -1, 1, -1 }, shown);
    }

    [TestMethod]
    public void A_camera_test_needs_a_camera()
    {
        const string Device = "/dev/video0";
        if (!V4l2FrameSource.IsPresent(Device))
        {
            Assert.Inconclusive($"no V4L2 camera at {Device}: capture is not tested here");
        }

        foreach (string line in V4l2FrameSource.Describe(Device))
        {
            StringAssert.Contains(line, ":");
        }

        using var source = V4l2FrameSource.Open(Device, 640, 480, FramePixelFormat.Yuyv);
        Assert.IsTrue(source.TryRead(out var frame));
        Assert.AreEqual(640 * 480 * 2, frame.Data.Length);
    }

    private static double Correlation(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double ma = 0, mb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            ma += a[i];
            mb += b[i];
        }

        ma /= a.Length;
        mb /= b.Length;
        double sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }

        return sab / Math.Sqrt(saa * sbb);
    }
}
