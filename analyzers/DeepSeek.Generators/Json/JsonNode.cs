using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace DeepSeek.Generators.Json
{
    /// <summary>
    /// A small JSON reader for the manifests (a generator cannot bring System.Text.Json into the compiler). Strict RFC 8259
    /// syntax, bounded depth and size; errors are <see cref="FormatException"/> with the offset.
    /// </summary>
    internal abstract class JsonNode
    {
        public const int MaxDepth = 32;

        public static JsonNode Parse(string text)
        {
            var reader = new Reader(text);
            var node = reader.Value(0);
            reader.SkipWhitespace();
            if (!reader.AtEnd)
            {
                throw reader.Error("text after the JSON value");
            }

            return node;
        }

        public JsonNode? this[string key] => this is JsonObject o && o.Members.TryGetValue(key, out var value) ? value : null;

        public string? AsString() => (this as JsonString)?.Value;

        private sealed class Reader
        {
            private readonly string text;
            private int position;

            public Reader(string text) => this.text = text;

            public bool AtEnd => position >= text.Length;

            public FormatException Error(string what) => new FormatException($"{what} at offset {position}");

            public void SkipWhitespace()
            {
                while (position < text.Length && text[position] is ' ' or '\t' or '\r' or '\n')
                {
                    position++;
                }
            }

            public JsonNode Value(int depth)
            {
                if (depth > MaxDepth)
                {
                    throw Error("nesting too deep");
                }

                SkipWhitespace();
                if (AtEnd)
                {
                    throw Error("unexpected end");
                }

                switch (text[position])
                {
                    case '{':
                        return Object(depth);
                    case '[':
                        return Array(depth);
                    case '"':
                        return new JsonString(String());
                    case 't':
                        Literal("true");
                        return new JsonBool(true);
                    case 'f':
                        Literal("false");
                        return new JsonBool(false);
                    case 'n':
                        Literal("null");
                        return JsonNull.Instance;
                    default:
                        return Number();
                }
            }

            private JsonObject Object(int depth)
            {
                position++;
                var members = new Dictionary<string, JsonNode>(StringComparer.Ordinal);
                SkipWhitespace();
                if (Peek('}'))
                {
                    position++;
                    return new JsonObject(members);
                }

                while (true)
                {
                    SkipWhitespace();
                    if (!Peek('"'))
                    {
                        throw Error("expected a property name");
                    }

                    var key = String();
                    SkipWhitespace();
                    Expect(':');
                    members[key] = Value(depth + 1);
                    SkipWhitespace();
                    if (Peek(','))
                    {
                        position++;
                        continue;
                    }

                    Expect('}');
                    return new JsonObject(members);
                }
            }

            private JsonArray Array(int depth)
            {
                position++;
                var items = new List<JsonNode>();
                SkipWhitespace();
                if (Peek(']'))
                {
                    position++;
                    return new JsonArray(items);
                }

                while (true)
                {
                    items.Add(Value(depth + 1));
                    SkipWhitespace();
                    if (Peek(','))
                    {
                        position++;
                        continue;
                    }

                    Expect(']');
                    return new JsonArray(items);
                }
            }

            private string String()
            {
                position++;
                var builder = new StringBuilder();
                while (true)
                {
                    if (AtEnd)
                    {
                        throw Error("unterminated string");
                    }

                    var c = text[position++];
                    if (c == '"')
                    {
                        return builder.ToString();
                    }

                    if (c < ' ')
                    {
                        throw Error("control character in a string");
                    }

                    if (c != '\\')
                    {
                        builder.Append(c);
                        continue;
                    }

                    if (AtEnd)
                    {
                        throw Error("unterminated escape");
                    }

                    var e = text[position++];
                    switch (e)
                    {
                        case '"': builder.Append('"'); break;
                        case '\\': builder.Append('\\'); break;
                        case '/': builder.Append('/'); break;
                        case 'b': builder.Append('\b'); break;
                        case 'f': builder.Append('\f'); break;
                        case 'n': builder.Append('\n'); break;
                        case 'r': builder.Append('\r'); break;
                        case 't': builder.Append('\t'); break;
                        case 'u':
                            if (position + 4 > text.Length || !int.TryParse(text.Substring(position, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code))
                            {
                                throw Error("bad \\u escape");
                            }

                            builder.Append((char)code);
                            position += 4;
                            break;
                        default:
                            throw Error("bad escape");
                    }
                }
            }

            private JsonNumber Number()
            {
                var start = position;
                while (position < text.Length && (char.IsDigit(text[position]) || text[position] is '-' or '+' or '.' or 'e' or 'E'))
                {
                    position++;
                }

                var token = text.Substring(start, position - start);
                if (!double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                {
                    throw Error("expected a value");
                }

                return new JsonNumber(value, long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer) ? integer : (long?)null);
            }

            private void Literal(string literal)
            {
                if (string.CompareOrdinal(text, position, literal, 0, literal.Length) != 0)
                {
                    throw Error("expected a value");
                }

                position += literal.Length;
            }

            private bool Peek(char c) => position < text.Length && text[position] == c;

            private void Expect(char c)
            {
                if (!Peek(c))
                {
                    throw Error($"expected '{c}'");
                }

                position++;
            }
        }
    }

    internal sealed class JsonObject : JsonNode
    {
        public JsonObject(Dictionary<string, JsonNode> members) => Members = members;

        public Dictionary<string, JsonNode> Members { get; }
    }

    internal sealed class JsonArray : JsonNode
    {
        public JsonArray(List<JsonNode> items) => Items = items;

        public List<JsonNode> Items { get; }
    }

    internal sealed class JsonString : JsonNode
    {
        public JsonString(string value) => Value = value;

        public string Value { get; }
    }

    internal sealed class JsonNumber : JsonNode
    {
        public JsonNumber(double value, long? integer)
        {
            Value = value;
            Integer = integer;
        }

        public double Value { get; }

        public long? Integer { get; }
    }

    internal sealed class JsonBool : JsonNode
    {
        public JsonBool(bool value) => Value = value;

        public bool Value { get; }
    }

    internal sealed class JsonNull : JsonNode
    {
        public static readonly JsonNull Instance = new JsonNull();
    }
}
