using System.Text;

namespace DeepSeek.Generators.Emitting
{
    /// <summary>Writes lines with four-space indentation and braces.</summary>
    internal sealed class IndentedWriter
    {
        private readonly StringBuilder builder = new StringBuilder();
        private int depth;

        public void Line(string text = "")
        {
            if (text.Length > 0)
            {
                builder.Append(' ', depth * 4).Append(text);
            }

            builder.Append('\n');
        }

        public void Open()
        {
            Line("{");
            depth++;
        }

        public void Close()
        {
            depth--;
            Line("}");
        }

        public void CloseWith(string text)
        {
            depth--;
            Line(text);
        }

        public override string ToString() => builder.ToString();
    }
}
