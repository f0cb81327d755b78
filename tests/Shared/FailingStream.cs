namespace EdgeNet.Tests.Shared;

/// <summary>A stream that fails like a full disk or a pulled plug after a number of bytes.</summary>
internal sealed class FailingStream(Stream inner, long failAfter) : Stream
{
    private long _written;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => inner.Length;
    public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
    public override void Flush() => inner.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        long room = failAfter - _written;
        if (buffer.Length > room)
        {
            inner.Write(buffer[..(int)Math.Max(0, room)]);
            inner.Flush();
            throw new IOException($"injected failure after {failAfter} bytes");
        }

        inner.Write(buffer);
        _written += buffer.Length;
    }
}
