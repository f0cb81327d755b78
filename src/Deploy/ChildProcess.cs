using System.Diagnostics;

namespace EdgeNet.Deploy;

/// <summary>Runs a program to its end and returns what it said: systemctl and udevadm on the board, the publish script on the host.</summary>
internal static class ChildProcess
{
    /// <summary>Runs <paramref name="program"/> with <paramref name="args"/>; a program that cannot be started is a <see cref="DeployException"/> with <paramref name="fix"/>.</summary>
    public static (int Exit, string Out, string Err) Run(string program, IReadOnlyList<string> args, string fix)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        Process? p;
        try
        {
            p = Process.Start(start);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new DeployException(program, string.Join(' ', args), $"cannot be run ({e.Message})", fix, e);
        }

        using (p)
        {
            if (p is null)
            {
                throw new DeployException(program, string.Join(' ', args), "did not start", fix);
            }

            var err = p.StandardError.ReadToEndAsync();
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, output, err.Result);
        }
    }
}
