using EdgeNet.Deploy.Manifest;

namespace EdgeNet.Deploy.Tests;

/// <summary><c>edgenet system verify</c> against boards that do not suit the bundle: each refusal names the field and the fix.</summary>
[TestClass]
public sealed class BoardCheckTests
{
    [TestMethod]
    public void A_pi5_bundle_on_a_pi4_names_both_boards_and_the_missing_sdot()
    {
        using var w = DeployWorld.Create();
        string bundle = w.Bundle(DeployTarget.Rpi5, "1.0.0");
        string pi4 = w.Tree("pi4", TestBoard.Pi4);
        var (code, _, err) = DeployWorld.Edgenet("system", "verify", bundle, "--root", pi4);
        Assert.AreEqual(2, code);
        StringAssert.Contains(err, $"{bundle}: compatible: the bundle is for rpi5 (raspberrypi,5-model-b, raspberrypi,500, raspberrypi,5-compute-module), this board is 'raspberrypi,4-model-b', 'brcm,bcm2711' (Raspberry Pi 4 Model B Rev 1.4)");
        StringAssert.Contains(err, "cpu_features: the binary needs asimddp, which this CPU lacks");
        StringAssert.Contains(err, "edgenet-fw bundle --target rpi4");

        var (ok, output, err2) = DeployWorld.Edgenet("system", "verify", w.Bundle(DeployTarget.Rpi4, "1.0.1"), "--root", pi4);
        Assert.AreEqual(0, ok, err2);
        StringAssert.Contains(output, "board: Raspberry Pi 4 Model B Rev 1.4, aarch64, glibc ");
        (ok, _, err2) = DeployWorld.Edgenet("system", "verify", bundle, "--root", w.Tree("pi5", TestBoard.Pi5));
        Assert.AreEqual(0, ok, err2);
    }

    [TestMethod]
    public void A_too_old_glibc_and_a_missing_device_node_are_refused_with_the_fix()
    {
        using var w = DeployWorld.Create();
        string bundle = w.Bundle(DeployTarget.Rpi4, "1.0.0", devices: ["/dev/gpiochip*", "/sys/class/pwm/pwmchip0"]);
        string pi4 = w.Tree("pi4", TestBoard.Pi4);
        var (code, _, err) = DeployWorld.Edgenet("system", "verify", bundle, "--root", pi4, "--assume-glibc", "2.31");
        Assert.AreEqual(2, code);
        StringAssert.Contains(err, $"{bundle}: min_glibc: needs glibc 2.34, this board has 2.31; upgrade the OS");

        string noPwm = w.Tree("pi4-no-pwm", TestBoard.Pi4, pwm: false);
        (code, _, err) = DeployWorld.Edgenet("system", "verify", bundle, "--root", noPwm);
        Assert.AreEqual(2, code);
        StringAssert.Contains(err, $"{bundle}: devices: /sys/class/pwm/pwmchip0 does not exist; enable hardware PWM (Pi: dtoverlay=pwm-2chan in config.txt) and reboot");

        string noGpio = w.Tree("pi4-no-gpio", TestBoard.Pi4, gpio: false);
        (code, _, err) = DeployWorld.Edgenet("system", "verify", bundle, "--root", noGpio);
        Assert.AreEqual(2, code);
        StringAssert.Contains(err, "devices: /dev/gpiochip* does not exist");

        (code, _, err) = DeployWorld.Edgenet("system", "verify", bundle, "--root", pi4, "--assume-glibc", "2.36");
        Assert.AreEqual(0, code, err);
    }

    [TestMethod]
    public void An_x64_bundle_on_a_pi_is_the_wrong_machine()
    {
        using var w = DeployWorld.Create();
        string bundle = w.Bundle(DeployTarget.X64, "1.0.0");
        var (code, _, err) = DeployWorld.Edgenet("system", "verify", bundle, "--root", w.Tree("pi5", TestBoard.Pi5));
        Assert.AreEqual(2, code);
        StringAssert.Contains(err, $"{bundle}: arch: the binary is x86_64, this machine is aarch64");
    }

    [TestMethod]
    public void Each_board_target_runs_on_the_boards_its_pin_map_describes()
    {
        foreach (var target in new[] { DeployTarget.Rpi4, DeployTarget.Rpi5, DeployTarget.JetsonOrin })
        {
            var info = DeployTargetInfo.Of(target);
            var map = EdgeNet.Rig.Boards.BoardPinMap.Named(info.Name);
            foreach (var c in info.Compatible)
            {
                CollectionAssert.Contains(map.Compatible.ToList(), c, $"{info.Name}: a board the bundle accepts has the header rig.json's pins refer to");
                Assert.AreEqual(info.Name, EdgeNet.Rig.Boards.BoardPinMap.Find([c])!.Id);
            }
        }
    }
}
