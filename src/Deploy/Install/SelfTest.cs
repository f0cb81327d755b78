using System.Diagnostics;
using EdgeNet.Deploy.Manifest;

namespace EdgeNet.Deploy.Install;

/// <summary>One self-test command's result.</summary>
/// <param name="Command">The command line after <c>edgenet</c>.</param>
/// <param name="Passed">Exited 0 within the limit.</param>
/// <param name="Detail">Exit code or time-out, and the last lines it printed.</param>
/// <param name="Elapsed">How long it ran.</param>
public sealed record SelfTestResult(string Command, bool Passed, string Detail, TimeSpan Elapsed);

/// <summary>
/// Runs a release's self-test: its own binary (<c>bin/edgenet</c> of the new release, not the installer's) on each
/// of the manifest's command lines, from the release's folder, all within one time limit; a command still running
/// at the limit is killed and fails.
/// </summary>
public static class SelfTest
{
    /// <summary>Runs every command of <paramref name="manifest"/> in <paramref name="releaseFolder"/>; stops at the first failure.</summary>
    public static IReadOnlyList<SelfTestResult> Run(string releaseFolder, BundleManifest manifest, TimeSpan limit)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var results = new List<SelfTestResult>();
        var clock = Stopwatch.StartNew();
        string binary = Path.Combine(releaseFolder, BundleLayout.Binary);
        foreach (var args in manifest.SelfTest)
        {
            var left = limit - clock.Elapsed;
            var result = RunOne(binary, releaseFolder, args, left > TimeSpan.Zero ? left : TimeSpan.Zero);
            results.Add(result);
            if (!result.Passed)
            {
                break;
            }
        }

        return results;
    }

    private static SelfTestResult RunOne(string binary, string folder, List<string> args, TimeSpan limit)
    {
        string line = string.Join(' ', args);
        var start = new ProcessStartInfo(binary) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        args.ForEach(start.ArgumentList.Add);
        var clock = Stopwatch.StartNew();
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return new SelfTestResult(line, false, $"{binary} cannot be started ({e.Message})", clock.Elapsed);
        }

        using (process)
        {
            var output = new Tail();
            process.OutputDataReceived += (_, e) => output.Add(e.Data);
            process.ErrorDataReceived += (_, e) => output.Add(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (!process.WaitForExit(limit))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                return new SelfTestResult(line, false, $"still running after the self-test's limit ({limit.TotalSeconds:0.#} s left of it): killed", clock.Elapsed);
            }

            process.WaitForExit();
            return process.ExitCode == 0
                ? new SelfTestResult(line, true, "ok", clock.Elapsed)
                : new SelfTestResult(line, false, $"exit code {process.ExitCode}: {output}", clock.Elapsed);
        }
    }

    /// <summary>The last few lines a command printed (what a user needs to see why it failed).</summary>
    private sealed class Tail
    {
        private readonly Queue<string> _lines = new();

        public void Add(string? line)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                return;
            }

            lock (_lines)
            {
                _lines.Enqueue(line.Trim());
                if (_lines.Count > 4)
                {
                    _lines.Dequeue();
                }
            }
        }

        public override string ToString()
        {
            lock (_lines)
            {
                return string.Join(" | ", _lines);
            }
        }
    }
}
