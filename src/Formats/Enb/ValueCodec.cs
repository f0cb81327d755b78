namespace EdgeNet.Formats.Enb;

/// <summary>Encodes and decodes typed values (docs/format.md, "Values").</summary>
internal static class ValueCodec
{
    /// <summary>Smallest encoding of one payload of this tag, used to bound counts before allocating.</summary>
    public static int MinPayloadSize(EnbValueType t) => t switch
    {
        EnbValueType.U8 or EnbValueType.I8 or EnbValueType.Bool => 1,
        EnbValueType.U16 or EnbValueType.I16 => 2,
        EnbValueType.U32 or EnbValueType.I32 or EnbValueType.F32 or EnbValueType.String => 4,
        EnbValueType.U64 or EnbValueType.I64 or EnbValueType.F64 => 8,
        EnbValueType.Array => 5,
        _ => 1,
    };

    public static void Write(BinaryWriter w, EnbValue v)
    {
        w.Write((byte)v.Type);
        if (v.Type != EnbValueType.Array)
        {
            WritePayload(w, v.Type, v.Value);
            return;
        }

        var items = (Array)v.Value;
        w.Write((byte)v.ElementType);
        w.Write((uint)items.Length);
        foreach (object item in items)
        {
            WritePayload(w, v.ElementType, item);
        }
    }

    private static void WritePayload(BinaryWriter w, EnbValueType t, object v)
    {
        switch (t)
        {
            case EnbValueType.U8: w.Write((byte)v); break;
            case EnbValueType.I8: w.Write((sbyte)v); break;
            case EnbValueType.U16: w.Write((ushort)v); break;
            case EnbValueType.I16: w.Write((short)v); break;
            case EnbValueType.U32: w.Write((uint)v); break;
            case EnbValueType.I32: w.Write((int)v); break;
            case EnbValueType.U64: w.Write((ulong)v); break;
            case EnbValueType.I64: w.Write((long)v); break;
            case EnbValueType.F32: w.Write((float)v); break;
            case EnbValueType.F64: w.Write((double)v); break;
            case EnbValueType.Bool: w.Write((byte)((bool)v ? 1 : 0)); break;
            case EnbValueType.String:
                byte[] bytes = System.Text.Encoding.UTF8.GetBytes((string)v);
                if (bytes.Length > EnbConstants.MaxStringBytes)
                {
                    throw new ArgumentException($"string value of {bytes.Length} bytes exceeds the {EnbConstants.MaxStringBytes}-byte limit");
                }

                w.Write((uint)bytes.Length);
                w.Write(bytes);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(t), t, "not a scalar value type");
        }
    }

    public static EnbValue Read(ref SpanReader r, string field)
    {
        long at = r.Offset;
        byte tag = r.U8(field + ".type");
        if (tag > (byte)EnbValueType.Array)
        {
            throw r.ErrorAt(at, field + ".type", $"unknown value type tag {tag} (known: 0..12)", "the blob is corrupt or from a newer EdgeNet: update EdgeNet or export it again");
        }

        var type = (EnbValueType)tag;
        if (type != EnbValueType.Array)
        {
            return ReadScalar(ref r, type, field);
        }

        long elemAt = r.Offset;
        byte elemTag = r.U8(field + ".element_type");
        if (elemTag >= (byte)EnbValueType.Array)
        {
            throw r.ErrorAt(elemAt, field + ".element_type", $"array element tag {elemTag} is not a scalar type (0..11)");
        }

        var elem = (EnbValueType)elemTag;
        int count = r.Count(field + ".count", MinPayloadSize(elem));
        return elem switch
        {
            EnbValueType.U8 => EnbValue.Array(elem, Fill(ref r, count, static (ref SpanReader x, string f) => x.U8(f), field)),
            EnbValueType.I8 => EnbValue.Array(elem, Fill(ref r, count, static (ref SpanReader x, string f) => (sbyte)x.U8(f), field)),
            EnbValueType.U16 => EnbValue.Array(elem, Fill(ref r, count, static (ref SpanReader x, string f) => x.U16(f), field)),
            EnbValueType.I16 => EnbValue.Array(elem, Fill(ref r, count, static (ref SpanReader x, string f) => (short)x.U16(f), field)),
            EnbValueType.U32 => EnbValue.Array(elem, Fill(ref r, count, static (ref SpanReader x, string f) => x.U32(f), field)),
            EnbValueType.I32 => EnbValue.Array(elem, Fill(ref r, count, static (ref SpanReader x, string f) => x.I32(f), field)),
            EnbValueType.U64 => EnbValue.Array(elem, Fill(ref r, count, static (ref SpanReader x, string f) => x.U64(f), field)),
            EnbValueType.I64 => EnbValue.Array(elem, Fill(ref r, count, static (ref SpanReader x, string f) => x.I64(f), field)),
            EnbValueType.F32 => EnbValue.Array(elem, Fill(ref r, count, static (ref SpanReader x, string f) => x.F32(f), field)),
            EnbValueType.F64 => EnbValue.Array(elem, Fill(ref r, count, static (ref SpanReader x, string f) => x.F64(f), field)),
            EnbValueType.Bool => EnbValue.Array(elem, Fill(ref r, count, static (ref SpanReader x, string f) => ReadBool(ref x, f), field)),
            _ => EnbValue.Array(elem, Fill(ref r, count, static (ref SpanReader x, string f) => x.Str32(f), field)),
        };
    }

    private delegate T ItemReader<T>(ref SpanReader r, string field);

    private static T[] Fill<T>(ref SpanReader r, int count, ItemReader<T> read, string field)
    {
        var items = new T[count];
        for (int i = 0; i < count; i++)
        {
            items[i] = read(ref r, field + "[" + i + "]");
        }

        return items;
    }

    private static bool ReadBool(ref SpanReader r, string field)
    {
        long at = r.Offset;
        byte b = r.U8(field);
        return b switch
        {
            0 => false,
            1 => true,
            _ => throw r.ErrorAt(at, field, $"bool byte is {b}, must be 0 or 1"),
        };
    }

    private static EnbValue ReadScalar(ref SpanReader r, EnbValueType type, string field) => type switch
    {
        EnbValueType.U8 => EnbValue.U8(r.U8(field)),
        EnbValueType.I8 => EnbValue.I8((sbyte)r.U8(field)),
        EnbValueType.U16 => EnbValue.U16(r.U16(field)),
        EnbValueType.I16 => EnbValue.I16((short)r.U16(field)),
        EnbValueType.U32 => EnbValue.U32(r.U32(field)),
        EnbValueType.I32 => EnbValue.I32(r.I32(field)),
        EnbValueType.U64 => EnbValue.U64(r.U64(field)),
        EnbValueType.I64 => EnbValue.I64(r.I64(field)),
        EnbValueType.F32 => EnbValue.F32(r.F32(field)),
        EnbValueType.F64 => EnbValue.F64(r.F64(field)),
        EnbValueType.Bool => EnbValue.Bool(ReadBool(ref r, field)),
        _ => EnbValue.String(r.Str32(field)),
    };
}
