[assembly: Parallelize(Scope = ExecutionScope.ClassLevel)]
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
