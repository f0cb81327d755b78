using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using EdgeNet.Trainer.Export;
using EdgeNet.Rig.CartPole;
using EdgeNet.Rig.Config;
using EdgeNet.Rig.Physics;
using EdgeNet.Runtime.Training.Rl;
using EdgeNet.Trainer.Rl;

namespace EdgeNet.Runtime.Tests;

/// <summary><c>edgenet rig</c> on the simulated rig over GPIO (and on a board's GPIO where there is one).</summary>
[TestClass]
public sealed class RigCommandTests
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static string SmallQNetwork()
    {
        var agent = new DqnAgent(4, 2, new DqnOptions { Hidden = [24, 24], BatchSize = 32 }, seed: 9);
        string path = Path.Combine(Path.GetTempPath(), $"rig-q-{Guid.NewGuid():N}.enb");
        DqnExport.Export(agent, path, QuantizationScheme.F32, new CartPoleOptions(), calibrationStates: 200);
        return path;
    }

    /// <summary>Removes a run's files: the model, the result, its log and the checkpoint folder.</summary>
    private static void DeleteRun(string model, string outPath, string checkpoints)
    {
        File.Delete(model);
        File.Delete(outPath);
        File.Delete(Path.ChangeExtension(outPath, ".csv"));
        if (Directory.Exists(checkpoints))
        {
            Directory.Delete(checkpoints, true);
        }
    }

    [TestMethod]
    public void Selftest_measures_the_push_the_physics_gives()
    {
        var (code, output, err) = CliRunner.Run("rig", "selftest", "--simulated");
        Assert.AreEqual(0, code, err + output);
        StringAssert.Contains(output, "self-test passed");
        // Linearised cart-pole from upright: a push F gives the cart F/(M+m) · (1 + m / ((M+m)(4/3) − m)); the velocity
        // change is read over 14 ticks of the 15-tick pulse at home_duty 0.15 of 10 N.
        double f = 1.5, mt = 1.1, m = 0.1, a = f / mt * (1 + (m / ((mt * 4 / 3) - m)));
        double expected = 14 * 0.02 * a;
        foreach (string dir in new[] { "+x", "-x" })
        {
            var v = Regex.Match(output, $@"motor {Regex.Escape(dir)} +velocity ([+-][0-9.]+) m/s");
            Assert.IsTrue(v.Success, output);
            double got = double.Parse(v.Groups[1].Value, Inv);
            Assert.AreEqual(dir == "+x" ? expected : -expected, got, 0.03 * expected, $"{dir}: {output}");
        }

        (code, output, _) = CliRunner.Run("rig", "selftest", "--simulated", "--physics", "x_resolution=0.01");
        Assert.AreEqual(0, code, "encoder resolution comes from the rig configuration, not the physics");
    }

    [TestMethod]
    public void Selftest_names_a_motor_wired_backwards_and_write_config_writes_a_loadable_file()
    {
        string config = Path.Combine(Path.GetTempPath(), $"rig-{Guid.NewGuid():N}.json");
        try
        {
            var (code, output, _) = CliRunner.Run("rig", "selftest", "--write-config", config);
            Assert.AreEqual(0, code);
            var c = RigConfig.Load(config);
            c.CartEncoder.Invert = true; // the encoder counts the other way: the motor seems to push backwards
            File.WriteAllText(config, c.ToJson());
            (code, output, _) = CliRunner.Run("rig", "selftest", "--simulated", "--config", config);
            Assert.AreEqual(0, code, "the simulated encoder is inverted too: it is wired as configured");
            var sim = Rig.Simulation.SimulatedRig.Open(RigConfig.Load(config));
            sim.Dispose();

            File.WriteAllText(config, "{\"motor\": {\"in1\": 17}}");
            (code, _, string err) = CliRunner.Run("rig", "selftest", "--simulated", "--config", config);
            Assert.AreEqual(2, code);
            StringAssert.Contains(err, $"{config}: 'pole_encoder.pin_a' uses GPIO 17, as 'motor.in1' does");
        }
        finally
        {
            File.Delete(config);
        }
    }

    [TestMethod]
    public void Train_checkpoints_logs_and_resumes_and_keeps_what_it_judged_best()
    {
        string q = SmallQNetwork(), outPath = q + ".rig.enb", ckpt = outPath + ".ckpt", log = Path.ChangeExtension(outPath, ".csv");
        try
        {
            string[] common = ["rig", "train", "--simulated", "--physics", "pole_mass=0.15,latency=1", "--model", q, "--out", outPath, "--learning-starts", "300",
                "--judge-every", "500", "--judge-episodes", "3", "--eval-episodes", "3", "--checkpoint-every", "5", "--batch", "32", "--replay-mb", "1", "--train-ratio", "1"];
            var (code, output, err) = CliRunner.Run([.. common, "--ticks", "2000"]);
            Assert.AreEqual(0, code, err + output);
            var state = RigCheckpoint.TryLoad(ckpt)!;
            var wrote = Regex.Match(output, @"wrote .*: ([0-9,]+) ticks, ([0-9]+) episodes, ([0-9,]+) updates");
            Assert.IsTrue(wrote.Success, output);
            Assert.AreEqual(long.Parse(wrote.Groups[1].Value, NumberStyles.AllowThousands, Inv), state.Ticks, "the shutdown checkpoint holds the last tick");
            Assert.AreEqual(long.Parse(wrote.Groups[2].Value, Inv), state.Episodes);
            string[] rows = File.ReadAllLines(log);
            Assert.AreEqual("episode,kind,ticks,return,mean_last_100,reason,loss,gradient_steps,jitter_p99_ms,work_p99_ms,overruns", rows[0]);
            Assert.AreEqual(state.Episodes, rows.Length - 1, "one log row per episode, judging episodes included");
            Assert.HasCount(1, Directory.GetFiles(ckpt, "online-*.enb"), "older checkpoints are removed once the new state is in place");

            // Every training step happened on rig ticks after learning started: the blob's step count is the learner's.
            using (var blob = Formats.Enb.BlobReader.Open(outPath, new Formats.Enb.BlobReadOptions { VerifyTensorHashes = true }))
            {
                Assert.IsNotNull(blob.GetMetadata("finetune.steps"));
            }

            // Kept best: the saved weights are the best-judged ones (the checkpoint's best blob holds them too).
            using (var best = Interpreter.Load(Path.Combine(ckpt, state.Best)))
            using (var saved = Interpreter.Load(outPath))
            {
                float[] obs = [0.01f, -0.2f, 0.03f, 0.1f];
                obs.CopyTo(best.Input(1));
                obs.CopyTo(saved.Input(1));
                best.Invoke(1);
                saved.Invoke(1);
                CollectionAssert.AreEqual(best.Output(1).ToArray(), saved.Output(1).ToArray());
            }

            (code, output, err) = CliRunner.Run([.. common, "--ticks", "600", "--resume"]);
            Assert.AreEqual(0, code, err + output);
            StringAssert.Contains(output, $"resumed from {ckpt}: episode {state.Episodes}, tick {state.Ticks.ToString("N0", Inv)}");
            var resumed = RigCheckpoint.TryLoad(ckpt)!;
            Assert.IsGreaterThanOrEqualTo(state.Ticks + 600, resumed.Ticks);
            Assert.AreEqual(resumed.Episodes, File.ReadAllLines(log).Length - 1, "the log continues where it stopped");

            File.WriteAllText(Path.Combine(ckpt, RigCheckpoint.StateFile), "{\"episodes\": 3, ");
            (code, _, err) = CliRunner.Run([.. common, "--ticks", "100", "--resume"]);
            Assert.AreEqual(2, code);
            StringAssert.Contains(err, $"{Path.Combine(ckpt, RigCheckpoint.StateFile)}: not a rig checkpoint");
            StringAssert.Contains(err, "remove the folder to start afresh");
        }
        finally
        {
            DeleteRun(q, outPath, ckpt);
        }
    }

    [TestMethod]
    public void A_nan_gradient_stops_the_motor_keeps_the_checkpoint_and_says_what_to_do()
    {
        string q = SmallQNetwork(), outPath = q + ".rig.enb", ckpt = outPath + ".ckpt";
        try
        {
            var (code, output, err) = CliRunner.Run("rig", "train", "--simulated", "--model", q, "--out", outPath, "--ticks", "3000", "--lr", "1e30",
                "--learning-starts", "100", "--eval-episodes", "1", "--judge-every", "0", "--replay-mb", "1", "--batch", "32");
            Assert.AreEqual(2, code, output);
            StringAssert.Contains(err, "NaN or infinite values");
            StringAssert.Contains(err, "lower the learning rate");
            var state = RigCheckpoint.TryLoad(ckpt)!;
            Assert.IsGreaterThan(100L, state.Ticks, "the checkpoint written on the way out holds the ticks before the failure");
            Assert.IsFalse(File.Exists(outPath), "no result is written from a failed run; the checkpoint keeps the last good weights");
            using var kept = Formats.Enb.BlobReader.Open(Path.Combine(ckpt, state.Online), new Formats.Enb.BlobReadOptions { VerifyTensorHashes = true });
            for (int i = 0; i < kept.Tensors.Count; i++)
            {
                Assert.IsTrue(Array.TrueForAll(kept.ReadAsFloat(i), float.IsFinite), $"{kept.Tensors[i].Name}: the step with the non-finite gradient changed no weight");
            }
        }
        finally
        {
            DeleteRun(q, outPath, ckpt);
        }
    }

    [TestMethod]
    public void Sigint_stops_the_motor_and_writes_the_checkpoint_before_exiting()
    {
        string q = SmallQNetwork(), outPath = q + ".rig.enb", ckpt = outPath + ".ckpt";
        string exe = Path.Combine(AppContext.BaseDirectory, "edgenet");
        try
        {
            var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[] { "rig", "train", "--simulated", "--realtime", "--model", q, "--out", outPath, "--ticks", "1000000", "--eval-episodes", "1", "--judge-every", "0", "--replay-mb", "1" })
            {
                psi.ArgumentList.Add(a);
            }

            using var p = Process.Start(psi)!;
            string first = p.StandardOutput.ReadLine() ?? "";
            StringAssert.Contains(first, "real time");
            string before = p.StandardOutput.ReadLine() ?? "";
            StringAssert.StartsWith(before, "before:");
            Thread.Sleep(1500); // learning on the rig's 50 Hz ticks
            using (var kill = Process.Start("kill", ["-INT", p.Id.ToString(Inv)]))
            {
                kill.WaitForExit();
            }

            var stderr = p.StandardError.ReadToEndAsync();
            var stdout = p.StandardOutput.ReadToEndAsync();
            if (!p.WaitForExit(30_000))
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit();
                Assert.Fail($"the process did not end within 30 s of SIGINT; it printed:\n{stdout.Result}\n{stderr.Result}");
            }

            string rest = stdout.Result;
            Assert.AreEqual(0, p.ExitCode, stderr.Result + rest);
            StringAssert.Contains(rest, "wrote " + outPath);
            var state = RigCheckpoint.TryLoad(ckpt)!;
            Assert.IsGreaterThan(30L, state.Ticks, "about 75 ticks of 20 ms ran before the signal");
            Assert.IsLessThan(500L, state.Ticks);
            Assert.IsTrue(File.Exists(outPath));
        }
        finally
        {
            DeleteRun(q, outPath, ckpt);
        }
    }

    [TestMethod]
    public void Selftest_on_the_boards_gpio()
    {
        string? config = Environment.GetEnvironmentVariable("EDGENET_RIG_CONFIG");
        if (!HardwareRig.IsPresent || config is null)
        {
            Assert.Inconclusive(HardwareRig.IsPresent
                ? "a GPIO chip is present, but EDGENET_RIG_CONFIG does not name the rig's configuration: not run"
                : "no GPIO chip (/dev/gpiochip*) on this machine: the physical rig's self-test is not run");
        }

        var (code, output, err) = CliRunner.Run("rig", "selftest", "--config", config);
        Assert.AreEqual(0, code, err + output);
        StringAssert.Contains(output, "self-test passed");
    }
    /// <summary>
    /// <c>edgenet rig run</c> as systemd runs it (its own process, NOTIFY_SOCKET and WATCHDOG_USEC set): READY once the
    /// rig and model are open, WATCHDOG from the control loop at half the timeout of the loop's clock, STOPPING at the end.
    /// </summary>
    [TestMethod]
    public void Rig_run_as_a_service_tells_systemd_ready_pings_the_watchdog_from_its_ticks_and_says_stopping()
    {
        string model = SmallQNetwork();
        string socketPath = Path.Combine(Path.GetTempPath(), $"notify-{Guid.NewGuid():N}.sock");
        try
        {
            foreach (bool watchdog in new[] { true, false })
            {
                using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Unspecified);
                File.Delete(socketPath);
                listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(socketPath));
                var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "edgenet.dll"), "rig", "run", "--simulated", "--model", model, "--episodes", "3" })
                {
                    start.ArgumentList.Add(a);
                }

                start.Environment["NOTIFY_SOCKET"] = socketPath;
                if (watchdog)
                {
                    start.Environment["WATCHDOG_USEC"] = "1000000";
                }

                using var p = Process.Start(start)!;
                string output = p.StandardOutput.ReadToEnd();
                p.WaitForExit();
                Assert.AreEqual(0, p.ExitCode, output + p.StandardError.ReadToEnd());
                var got = new List<string>();
                var buffer = new byte[4096];
                while (listener.Poll(TimeSpan.FromMilliseconds(200), System.Net.Sockets.SelectMode.SelectRead))
                {
                    got.Add(System.Text.Encoding.UTF8.GetString(buffer, 0, listener.Receive(buffer)));
                }

                StringAssert.StartsWith(got[0], "READY=1\nSTATUS=simulated rig over GPIO");
                StringAssert.StartsWith(got[^1], "STOPPING=1");
                int ticks = int.Parse(Regex.Match(output, @"overruns \d+ of (\d+) ticks").Groups[1].Value, Inv);
                int pings = got.Count(m => m == "WATCHDOG=1");
                if (watchdog)
                {
                    // 50 Hz ticks, a ping every 0.5 s of loop time: one per 25 ticks, the first at the first tick.
                    Assert.AreEqual((ticks / 25.0) + 1, pings, 1.5, $"{ticks} ticks: {string.Join(" | ", got)}");
                }
                else
                {
                    Assert.AreEqual(0, pings, "no WATCHDOG_USEC: no watchdog pings");
                }
            }
        }
        finally
        {
            File.Delete(model);
            File.Delete(socketPath);
        }
    }

    [TestMethod]
    public void Rig_calibrate_writes_the_resolutions_and_directions_of_the_simulated_rig_as_built()
    {
        string dir = Directory.CreateTempSubdirectory("edgenet-calibrate-").FullName;
        try
        {
            var built = RigConfig.Default();
            (built.CartEncoder.CountsPerRevolution, built.CartEncoder.Invert, built.PoleEncoder.CountsPerRevolution) = (1000, true, 4096);
            (built.Motor.In1, built.Motor.In2) = (built.Motor.In2, built.Motor.In1);
            string truth = Path.Combine(dir, "built.json"), output = Path.Combine(dir, "rig.json");
            File.WriteAllText(truth, built.ToJson());
            var (code, text, err) = CliRunner.Run("rig", "calibrate", "--simulated", "--simulated-hardware", truth, "--write", output);
            Assert.AreEqual(0, code, err + text);
            StringAssert.Contains(text, "motor direction  reversed");
            var written = RigConfig.Load(output);
            Assert.AreEqual(built.ToJson(), written.ToJson(), text);
            (code, text, _) = CliRunner.Run("rig", "calibrate", "--simulated-hardware", truth, "--write", output);
            Assert.AreEqual(2, code, "the truth file describes the simulator only");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
