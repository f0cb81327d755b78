using System.Globalization;

namespace EdgeNet.Formats.Enb;

/// <summary>On-disk tags of typed values (metadata and operator attributes).</summary>
public enum EnbValueType : byte
{
    /// <summary>Unsigned 8-bit integer.</summary>
    U8 = 0,

    /// <summary>Signed 8-bit integer.</summary>
    I8 = 1,

    /// <summary>Unsigned 16-bit integer.</summary>
    U16 = 2,

    /// <summary>Signed 16-bit integer.</summary>
    I16 = 3,

    /// <summary>Unsigned 32-bit integer.</summary>
    U32 = 4,

    /// <summary>Signed 32-bit integer.</summary>
    I32 = 5,

    /// <summary>Unsigned 64-bit integer.</summary>
    U64 = 6,

    /// <summary>Signed 64-bit integer.</summary>
    I64 = 7,

    /// <summary>32-bit float.</summary>
    F32 = 8,

    /// <summary>64-bit float.</summary>
    F64 = 9,

    /// <summary>Boolean.</summary>
    Bool = 10,

    /// <summary>UTF-8 string.</summary>
    String = 11,

    /// <summary>Array of one element type (<see cref="EnbValue.ElementType"/>).</summary>
    Array = 12,
}

/// <summary>
/// A typed metadata value or operator attribute. Scalars hold the boxed CLR value; arrays hold a
/// typed CLR array (<c>int[]</c>, <c>float[]</c>, <c>string[]</c>, ...).
/// </summary>
public sealed class EnbValue : IEquatable<EnbValue>
{
    private EnbValue(EnbValueType type, EnbValueType elementType, object value)
    {
        Type = type;
        ElementType = elementType;
        Value = value;
    }

    /// <summary>The value's type tag.</summary>
    public EnbValueType Type { get; }

    /// <summary>For arrays, the element tag; for scalars, the same as <see cref="Type"/>.</summary>
    public EnbValueType ElementType { get; }

    /// <summary>The boxed scalar, or the typed array (<c>int[]</c>, <c>float[]</c>, <c>string[]</c>, ...).</summary>
    public object Value { get; }

    /// <summary>A u8 value.</summary>
    public static EnbValue U8(byte v) => new(EnbValueType.U8, EnbValueType.U8, v);

    /// <summary>An i8 value.</summary>
    public static EnbValue I8(sbyte v) => new(EnbValueType.I8, EnbValueType.I8, v);

    /// <summary>A u16 value.</summary>
    public static EnbValue U16(ushort v) => new(EnbValueType.U16, EnbValueType.U16, v);

    /// <summary>An i16 value.</summary>
    public static EnbValue I16(short v) => new(EnbValueType.I16, EnbValueType.I16, v);

    /// <summary>A u32 value.</summary>
    public static EnbValue U32(uint v) => new(EnbValueType.U32, EnbValueType.U32, v);

    /// <summary>An i32 value.</summary>
    public static EnbValue I32(int v) => new(EnbValueType.I32, EnbValueType.I32, v);

    /// <summary>A u64 value.</summary>
    public static EnbValue U64(ulong v) => new(EnbValueType.U64, EnbValueType.U64, v);

    /// <summary>An i64 value.</summary>
    public static EnbValue I64(long v) => new(EnbValueType.I64, EnbValueType.I64, v);

    /// <summary>An f32 value.</summary>
    public static EnbValue F32(float v) => new(EnbValueType.F32, EnbValueType.F32, v);

    /// <summary>An f64 value.</summary>
    public static EnbValue F64(double v) => new(EnbValueType.F64, EnbValueType.F64, v);

    /// <summary>A bool value.</summary>
    public static EnbValue Bool(bool v) => new(EnbValueType.Bool, EnbValueType.Bool, v);

    /// <summary>A string value.</summary>
    public static EnbValue String(string v) => new(EnbValueType.String, EnbValueType.String, v ?? throw new ArgumentNullException(nameof(v)));

    /// <summary>An array of scalars of one type; <paramref name="items"/> must be the matching CLR array type.</summary>
    public static EnbValue Array(EnbValueType elementType, System.Array items)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (elementType == EnbValueType.Array)
        {
            throw new ArgumentException("arrays of arrays are not part of the format", nameof(elementType));
        }

        bool matches = elementType switch
        {
            EnbValueType.U8 => items is byte[],
            EnbValueType.I8 => items is sbyte[],
            EnbValueType.U16 => items is ushort[],
            EnbValueType.I16 => items is short[],
            EnbValueType.U32 => items is uint[],
            EnbValueType.I32 => items is int[],
            EnbValueType.U64 => items is ulong[],
            EnbValueType.I64 => items is long[],
            EnbValueType.F32 => items is float[],
            EnbValueType.F64 => items is double[],
            EnbValueType.Bool => items is bool[],
            EnbValueType.String => items is string[],
            _ => false,
        };
        if (!matches)
        {
            throw new ArgumentException($"an array of {TagName(elementType)} must be a {ClrType(elementType).Name}[], not a {items.GetType().Name}", nameof(items));
        }

        return new EnbValue(EnbValueType.Array, elementType, items);
    }

    /// <summary>An i32 array.</summary>
    public static EnbValue Ints(params int[] v) => Array(EnbValueType.I32, v);

    /// <summary>An f32 array.</summary>
    public static EnbValue Floats(params float[] v) => Array(EnbValueType.F32, v);

    /// <summary>A string array.</summary>
    public static EnbValue Strings(params string[] v) => Array(EnbValueType.String, v);

    /// <summary>The string.</summary>
    /// <exception cref="InvalidCastException">The value is not a string.</exception>
    public string AsString() => Value as string ?? throw new InvalidCastException($"value is {Describe()}, not a string");

    /// <summary>Any integer or bool scalar as a long.</summary>
    /// <exception cref="InvalidCastException">The value is not an integer.</exception>
    public long AsInt64() => Type switch
    {
        EnbValueType.U8 => (byte)Value,
        EnbValueType.I8 => (sbyte)Value,
        EnbValueType.U16 => (ushort)Value,
        EnbValueType.I16 => (short)Value,
        EnbValueType.U32 => (uint)Value,
        EnbValueType.I32 => (int)Value,
        EnbValueType.U64 => checked((long)(ulong)Value),
        EnbValueType.I64 => (long)Value,
        EnbValueType.Bool => (bool)Value ? 1 : 0,
        _ => throw new InvalidCastException($"value is {Describe()}, not an integer"),
    };

    /// <summary>Any number as a double.</summary>
    /// <exception cref="InvalidCastException">The value is not a number.</exception>
    public double AsDouble() => Type switch
    {
        EnbValueType.F32 => (float)Value,
        EnbValueType.F64 => (double)Value,
        _ => AsInt64(),
    };

    /// <summary>The i32 array.</summary>
    /// <exception cref="InvalidCastException">The value is not an i32 array.</exception>
    public int[] AsInt32Array() => Value as int[] ?? throw new InvalidCastException($"value is {Describe()}, not an i32 array");

    /// <summary>The f32 array.</summary>
    /// <exception cref="InvalidCastException">The value is not an f32 array.</exception>
    public float[] AsFloatArray() => Value as float[] ?? throw new InvalidCastException($"value is {Describe()}, not an f32 array");

    /// <summary>The string array.</summary>
    /// <exception cref="InvalidCastException">The value is not a string array.</exception>
    public string[] AsStringArray() => Value as string[] ?? throw new InvalidCastException($"value is {Describe()}, not a string array");

    /// <summary>The type name as written in docs/format.md, e.g. <c>i32</c> or <c>array[f32]</c>.</summary>
    public string Describe() => Type == EnbValueType.Array ? $"array[{TagName(ElementType)}]" : TagName(Type);

    /// <summary>The tag's name in docs/format.md, e.g. <c>f32</c>.</summary>
    public static string TagName(EnbValueType t) => t.ToString().ToLowerInvariant();

    internal static Type ClrType(EnbValueType t) => t switch
    {
        EnbValueType.U8 => typeof(byte),
        EnbValueType.I8 => typeof(sbyte),
        EnbValueType.U16 => typeof(ushort),
        EnbValueType.I16 => typeof(short),
        EnbValueType.U32 => typeof(uint),
        EnbValueType.I32 => typeof(int),
        EnbValueType.U64 => typeof(ulong),
        EnbValueType.I64 => typeof(long),
        EnbValueType.F32 => typeof(float),
        EnbValueType.F64 => typeof(double),
        EnbValueType.Bool => typeof(bool),
        EnbValueType.String => typeof(string),
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "no CLR type"),
    };

    /// <summary>True for the same type and equal contents (arrays element by element).</summary>
    public bool Equals(EnbValue? other)
    {
        if (other is null || other.Type != Type || other.ElementType != ElementType)
        {
            return false;
        }

        if (Type != EnbValueType.Array)
        {
            return Value.Equals(other.Value);
        }

        var a = (System.Array)Value;
        var b = (System.Array)other.Value;
        if (a.Length != b.Length)
        {
            return false;
        }

        for (int i = 0; i < a.Length; i++)
        {
            if (!Equals(a.GetValue(i), b.GetValue(i)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True for an equal <see cref="EnbValue"/>.</summary>
    public override bool Equals(object? obj) => Equals(obj as EnbValue);

    /// <summary>A hash over the type and contents.</summary>
    public override int GetHashCode() => HashCode.Combine(Type, ElementType, Type == EnbValueType.Array ? ((System.Array)Value).Length : Value.GetHashCode());

    /// <summary>The value as text (arrays in brackets).</summary>
    public override string ToString()
    {
        if (Type != EnbValueType.Array)
        {
            return Format(Value);
        }

        var items = (System.Array)Value;
        const int Shown = 16;
        var parts = new List<string>();
        for (int i = 0; i < Math.Min(items.Length, Shown); i++)
        {
            parts.Add(Format(items.GetValue(i)!));
        }

        string more = items.Length > Shown ? $", ... ({items.Length} items)" : "";
        return "[" + string.Join(", ", parts) + more + "]";
    }

    private static string Format(object v) => v switch
    {
        string s => "\"" + s + "\"",
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };
}
