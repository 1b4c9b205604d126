namespace DeepSeek.Engine.Passes;

/// <summary>One transformation of a model, with one job. Recipes compose passes; each reports what it changed.</summary>
public interface IGraphPass
{
    /// <summary>The pass's name in reports (<c>fold-batchnorm</c>, <c>int8-dynamic</c>...).</summary>
    string Name { get; }

    /// <summary>Transforms <see cref="PassContext.Model"/> in place.</summary>
    /// <exception cref="DeepSeek.Onnx.Diagnostics.DeepSeekException">When the model cannot be transformed; the message names the node.</exception>
    PassResult Run(PassContext context);
}
