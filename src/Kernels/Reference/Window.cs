namespace EdgeNet.Kernels.Reference;

/// <summary>Window geometry of a conv or pool over NHWC input with C channels (the numbers come from the blob contract's WindowGeometry).</summary>
internal readonly record struct Window(int InH, int InW, int InC, int KH, int KW, int SH, int SW, int PadTop, int PadLeft, int OutH, int OutW)
{
    public int Patch => KH * KW * InC;
}
