using EdgeNet.Rig.Boards;
using EdgeNet.Rig.Config;

namespace EdgeNet.Rig.Tests;

/// <summary>
/// The header pin maps against the boards' published pinouts (Raspberry Pi's GPIO pinout — the same 40-pin header on the
/// Pi 4 and 5 — its PWM overlay notes, and NVIDIA's Jetson Orin Nano developer kit header table), and rig.json's header pins
/// resolved on a board: the chip found by label whatever its number, line names checked, PWM found by controller.
/// </summary>
[TestClass]
public sealed class BoardPinMapTests
{
    [TestMethod]
    public void Raspberry_pi_headers_match_the_published_pinout()
    {
        // Physical pin -> BCM GPIO, from the Raspberry Pi documentation's header diagram.
        var published = new Dictionary<int, int> { [3] = 2, [7] = 4, [11] = 17, [12] = 18, [13] = 27, [16] = 23, [18] = 24, [29] = 5, [31] = 6, [32] = 12, [33] = 13, [35] = 19, [36] = 16, [38] = 20, [40] = 21, [27] = 0 };
        foreach (var id in new[] { "rpi4", "rpi5" })
        {
            var b = BoardPinMap.Named(id);
            foreach (var (pin, gpio) in published)
            {
                Assert.AreEqual(gpio, b.Line(pin, "test"), $"{id} pin {pin}");
            }

            Assert.AreEqual("GPIO17", b.Pin(11)!.LineName);
            Assert.AreEqual("ID_SDA", b.Pin(27)!.LineName, "the HAT EEPROM's line keeps its device-tree name");
            foreach (int ground in new[] { 6, 9, 14, 20, 25, 30, 34, 39 })
            {
                Assert.AreEqual("GND", b.Pin(ground)!.Power, $"{id} pin {ground}");
            }

            Assert.HasCount(40, b.Pins);
        }

        // Hardware PWM: the Pi 4's PWM0/PWM1 on GPIO12/18 and 13/19 are channels 0 and 1; the Pi 5's RP1 has GPIO12/13 as
        // channels 0/1 and GPIO18/19 as channels 2/3.
        var pi4 = BoardPinMap.Named("rpi4");
        Assert.AreEqual(new HeaderPwm("fe20c000.pwm", 0, pi4.Pin(12)!.Pwm!.Setup), pi4.PwmOf(12, "t"));
        Assert.AreEqual(1, pi4.PwmOf(35, "t").Channel);
        Assert.AreEqual(0, pi4.PwmOf(32, "t").Channel);
        var pi5 = BoardPinMap.Named("rpi5");
        Assert.AreEqual(2, pi5.PwmOf(12, "t").Channel);
        Assert.AreEqual(3, pi5.PwmOf(35, "t").Channel);
        Assert.AreEqual(0, pi5.PwmOf(32, "t").Channel);
        Assert.AreEqual("pinctrl-rp1", pi5.GpioChipLabels[0]);
    }

    [TestMethod]
    public void Jetson_orin_header_matches_nvidias_pin_table()
    {
        var orin = BoardPinMap.Named("jetson-orin");
        // NVIDIA's table (Jetson.GPIO, the Orin Nano developer kit carrier): pin -> line offset in tegra234-gpio, port name.
        var table = new (int Pin, int Line, string Name)[] { (7, 144, "PAC.06"), (11, 112, "PR.04"), (12, 50, "PH.07"), (15, 85, "PN.01"), (29, 105, "PQ.05"), (31, 106, "PQ.06"), (32, 41, "PG.06"), (33, 43, "PH.00"), (40, 51, "PI.00") };
        foreach (var (pin, line, name) in table)
        {
            Assert.AreEqual(line, orin.Line(pin, "t"), $"pin {pin}");
            Assert.AreEqual(name, orin.Pin(pin)!.LineName, $"pin {pin}");
        }

        Assert.AreEqual("3280000.pwm", orin.PwmOf(15, "t").Controller);
        Assert.AreEqual("32e0000.pwm", orin.PwmOf(32, "t").Controller);
        Assert.AreEqual("32c0000.pwm", orin.PwmOf(33, "t").Controller);
        var e = Assert.ThrowsExactly<RigConfigException>(() => orin.Line(3, "motor.in1"));
        StringAssert.Contains(e.Message, "header pin 3 of the Jetson Orin Nano / Orin NX developer kit (p3768 carrier) is I2C1 SDA (not a GPIO here), not a GPIO");
        Assert.AreEqual("jetson-orin", BoardPinMap.Find(["nvidia,p3768-0000+p3767-0005", "nvidia,p3767-0005", "nvidia,tegra234"])!.Id);
    }

    [TestMethod]
    public void Absent_pins_and_pwm_on_a_pin_without_it_are_refused_naming_the_board_and_the_pin()
    {
        var pi5 = BoardPinMap.Named("rpi5");
        var e = Assert.ThrowsExactly<RigConfigException>(() => pi5.Line(6, "rig.json: motor.in1"));
        StringAssert.StartsWith(e.Message, "rig.json: motor.in1: header pin 6 of the Raspberry Pi 5 Model B is GND, not a GPIO; GPIO pins: 3, 5, 7, 8, 10, 11, 12");
        e = Assert.ThrowsExactly<RigConfigException>(() => pi5.Line(44, "motor.in2"));
        Assert.AreEqual("motor.in2: the Raspberry Pi 5 Model B header has no pin 44 (pins 1-40)", e.Message);
        e = Assert.ThrowsExactly<RigConfigException>(() => pi5.PwmOf(11, "motor.pwm_pin"));
        Assert.AreEqual("motor.pwm_pin: header pin 11 (GPIO17 (line 17)) of the Raspberry Pi 5 Model B has no hardware PWM; pins with it: 12 (GPIO18), 32 (GPIO12), 33 (GPIO13), 35 (GPIO19)", e.Message);
        e = Assert.ThrowsExactly<RigConfigException>(() => RigConfig.Parse("""{"pin_numbering": "header", "motor": {"pwm_pin": 12}}"""));
        StringAssert.Contains(e.Message, "'pin_numbering' is header but no board is given");
    }

    private sealed class FakeChips(params (int Number, string Label, Dictionary<int, string>? Names)[] chips) : IGpioChips
    {
        public IReadOnlyList<GpioChipInfo> Chips() => [.. chips.Select(c => new GpioChipInfo(c.Number, "gpiochip" + c.Number, c.Label, 54))];

        public string? LineName(int chip, int line) => chips.Single(c => c.Number == chip).Names?.GetValueOrDefault(line);
    }

    private static string HeaderRig(string board, int pwmPin) =>
        "{\"board\": \"" + board + "\", \"pin_numbering\": \"header\", \"motor\": {\"pwm_pin\": " + pwmPin + ", \"in1\": 16, \"in2\": 18}, "
        + "\"pole_encoder\": {\"pin_a\": 11, \"pin_b\": 13}, \"cart_encoder\": {\"pin_a\": 29, \"pin_b\": 31}, "
        + "\"switches\": {\"limit_left\": 36, \"limit_right\": 38, \"emergency_stop\": 40}}";

    [TestMethod]
    public void Header_pins_resolve_on_a_pi5_whichever_number_its_rp1_chip_has()
    {
        var root = Directory.CreateTempSubdirectory("edgenet-board-");
        try
        {
            Directory.CreateDirectory(Path.Combine(root.FullName, "proc/device-tree"));
            File.WriteAllText(Path.Combine(root.FullName, "proc/device-tree/compatible"), "raspberrypi,5-model-b\0brcm,bcm2712\0");
            // The RP1 PWM as sysfs shows it: pwmchip2 -> .../1f00098000.pwm (the fan's PWM is another chip).
            string platform = Path.Combine(root.FullName, "sys/devices/platform/axi/1000120000.pcie");
            Directory.CreateDirectory(Path.Combine(platform, "1f00098000.pwm"));
            Directory.CreateDirectory(Path.Combine(platform, "1f0009c000.pwm"));
            foreach (var (chip, device) in new[] { ("pwmchip2", "1f00098000.pwm"), ("pwmchip0", "1f0009c000.pwm") })
            {
                string dir = Path.Combine(root.FullName, "sys/class/pwm", chip);
                Directory.CreateDirectory(dir);
                File.CreateSymbolicLink(Path.Combine(dir, "device"), Path.Combine(platform, device));
            }

            var config = RigConfig.Parse(HeaderRig("auto", 12));
            var names = Enumerable.Range(2, 26).ToDictionary(i => i, i => $"GPIO{i}");
            // Kernels before 6.6.45: RP1 was gpiochip4 (the SoC's brcmstb chips 0-3); after: gpiochip0 (brcmstb moved to 10-13).
            foreach (var chips in new[] { new FakeChips((0, "gpio-brcmstb@107d508500", null), (4, "pinctrl-rp1", names)), new FakeChips((0, "pinctrl-rp1", names), (10, "gpio-brcmstb@107d508500", null)) })
            {
                var w = RigWiring.Resolve(config, root.FullName, chips);
                Assert.AreEqual("rpi5", w.Board.Id);
                Assert.AreEqual("pinctrl-rp1", w.Chip.Label);
                Assert.AreEqual(23, w.Lines.Motor.In1, "header 16 = GPIO23");
                Assert.AreEqual(24, w.Lines.Motor.In2);
                Assert.AreEqual(17, w.Lines.PoleEncoder.PinA);
                Assert.AreEqual(21, w.Lines.Switches.EmergencyStop);
                Assert.AreEqual((2, 2), (w.Lines.Motor.PwmChip, w.Lines.Motor.PwmChannel), "header 12 = GPIO18 = RP1 PWM0 channel 2, on pwmchip2");
            }

            var e = Assert.ThrowsExactly<RigConfigException>(() => RigWiring.Resolve(config, root.FullName, new FakeChips((0, "gpio-brcmstb@107d508500", null))));
            StringAssert.Contains(e.Message, "the Raspberry Pi 5 Model B's header chip (pinctrl-rp1) is not among this machine's GPIO chips (gpiochip0 [gpio-brcmstb@107d508500])");

            var wrongNames = new Dictionary<int, string>(names) { [23] = "PCIE_RP1_WAKE" };
            e = Assert.ThrowsExactly<RigConfigException>(() => RigWiring.Resolve(config, root.FullName, new FakeChips((0, "pinctrl-rp1", wrongNames))));
            StringAssert.Contains(e.Message, "motor.in1: header pin 16 is line 23 of pinctrl-rp1 should be named GPIO23 on the Raspberry Pi 5 Model B, the kernel calls it PCIE_RP1_WAKE");

            e = Assert.ThrowsExactly<RigConfigException>(() => RigWiring.Resolve(RigConfig.Parse(HeaderRig("rpi4", 12)), root.FullName, new FakeChips((0, "pinctrl-rp1", names))));
            StringAssert.Contains(e.Message, "board: is rpi4, but this board is a Raspberry Pi 5 Model B");

            Directory.Delete(Path.Combine(root.FullName, "sys/class/pwm/pwmchip2"), recursive: true); // the overlay not loaded: no RP1 PWM0
            e = Assert.ThrowsExactly<RigConfigException>(() => RigWiring.Resolve(config, root.FullName, new FakeChips((0, "pinctrl-rp1", names))));
            StringAssert.Contains(e.Message, "motor.pwm_pin: header pin 12's hardware PWM (1f00098000.pwm channel 2) is not enabled (pwm chips: pwmchip0 -> 1f0009c000.pwm); dtoverlay=pwm-2chan");
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }
}
