using EdgeNet.Runtime.Cli;

namespace EdgeNet.Runtime.Tests;

/// <summary>Runs the <c>edgenet</c> command line in-process and captures what it prints.</summary>
internal static class CliRunner
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = EdgenetCli.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }
}
