using System.Buffers.Binary;

namespace EdgeNet.Rig.Devices.Encoders;

/// <summary>
/// Counts from the Linux kernel's rotary-encoder driver (device tree overlay <c>rotary-encoder</c>, e.g. on a
/// Pi: <c>dtoverlay=rotary-encoder,pin_a=17,pin_b=27,relative_axis=1,steps-per-period=4</c>), read from its
/// evdev node. The kernel decodes the edges in its interrupt handler, so none is lost to userspace latency.
/// Reads <c>struct input_event</c> records (64-bit layout: 16-byte timeval, u16 type, u16 code, s32 value)
/// on a background thread: EV_REL steps are summed, EV_ABS values (the driver's absolute mode) taken as the
/// position. The stream may be any readable stream (a test feeds recorded events).
/// </summary>
public sealed class EvdevEncoderSource : IEncoderSource
{
    /// <summary>Bytes of one input_event on a 64-bit kernel.</summary>
    public const int EventSize = 24;

    private const ushort EvRel = 0x02;
    private const ushort EvAbs = 0x03;

    private readonly Stream _stream;
    private readonly string _name;
    private readonly int _sign;
    private readonly Thread _reader;
    private long _count;
    private long _offset;
    private volatile string? _error;

    /// <summary>Counts the relative events of <paramref name="events"/> (an opened <c>/dev/input/event*</c> of the kernel's rotary-encoder driver); <paramref name="name"/> is for messages.</summary>
    public EvdevEncoderSource(Stream events, string name, bool invert = false)
    {
        ArgumentNullException.ThrowIfNull(events);
        _stream = events;
        _name = name;
        _sign = invert ? -1 : 1;
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = $"evdev {name}" };
        _reader.Start();
    }

    /// <summary>Opens an evdev node (<c>/dev/input/eventN</c>); errors name the device and the fix.</summary>
    public static EvdevEncoderSource Open(string device, bool invert = false)
    {
        try
        {
            return new EvdevEncoderSource(new FileStream(device, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None), device, invert);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{device}: cannot open the encoder's input device ({ex.Message}); load the rotary-encoder overlay and add the user to the 'input' group", ex);
        }
    }

    /// <inheritdoc/>
    public long Count => (_sign * Interlocked.Read(ref _count)) - Interlocked.Read(ref _offset);

    /// <inheritdoc/>
    public long IllegalTransitions => -1;

    /// <inheritdoc/>
    public long RepeatedEdges => -1;

    /// <inheritdoc/>
    public string Description => $"kernel rotary-encoder via {_name}" + (_error is { } e ? $" (stopped: {e})" : "");

    /// <summary>Set when the event stream failed or ended (the count stops there).</summary>
    public string? Error => _error;

    /// <summary>Waits until the reader has consumed the stream to its end (tests feeding a finite stream).</summary>
    public bool WaitForEnd(TimeSpan timeout) => _reader.Join(timeout);

    /// <inheritdoc/>
    public void Zero() => Interlocked.Exchange(ref _offset, _sign * Interlocked.Read(ref _count));

    private void ReadLoop()
    {
        var record = new byte[EventSize];
        try
        {
            while (true)
            {
                int got = 0;
                while (got < EventSize)
                {
                    int n = _stream.Read(record, got, EventSize - got);
                    if (n == 0)
                    {
                        _error = got == 0 ? "end of events" : $"truncated event ({got} of {EventSize} bytes)";
                        return;
                    }

                    got += n;
                }

                ushort type = BinaryPrimitives.ReadUInt16LittleEndian(record.AsSpan(16));
                int value = BinaryPrimitives.ReadInt32LittleEndian(record.AsSpan(20));
                if (type == EvRel)
                {
                    Interlocked.Add(ref _count, value);
                }
                else if (type == EvAbs)
                {
                    Interlocked.Exchange(ref _count, value);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            _error = ex.Message;
        }
    }

    /// <summary>Writes one input_event record (tests; the layout the reader expects).</summary>
    public static void WriteEvent(Span<byte> destination, ushort type, ushort code, int value)
    {
        destination[..EventSize].Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(destination[16..], type);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[18..], code);
        BinaryPrimitives.WriteInt32LittleEndian(destination[20..], value);
    }

    /// <inheritdoc/>
    public void Dispose() => _stream.Dispose();
}
