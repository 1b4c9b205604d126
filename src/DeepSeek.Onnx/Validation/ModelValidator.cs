using DeepSeek.Onnx.Diagnostics;
using DeepSeek.Onnx.Model;
using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Onnx.Validation;

/// <summary>
/// Checks what a reader must check before anything trusts a model: opset imports, every tensor's data against its
/// dims and type (external data included), and each graph's structure (no dangling input, no value produced twice,
/// no cycle, every output produced). Throws the first problem found as a <see cref="DeepSeekException"/>.
/// </summary>
public static class ModelValidator
{
    /// <summary>Validates the whole model.</summary>
    public static void Validate(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        ValidateOpsets(model);
        foreach (var graph in model.Graph.SelfAndDescendants())
        {
            ValidateTensors(graph, model);
        }

        GraphStructure.Validate(model.Graph.Proto, "main", outerScope: null, model.DisplayPath);
    }

    private static void ValidateOpsets(OnnxModel model)
    {
        var file = model.DisplayPath;
        if (model.Proto.OpsetImport.Count == 0)
        {
            throw new DeepSeekException(DiagnosticIds.MissingOpsetImport, file, "the model imports no operator set");
        }

        var imported = model.Proto.OpsetImport.Select(o => OnnxModel.NormalizeDomain(o.Domain)).ToHashSet(StringComparer.Ordinal);
        foreach (var function in model.Proto.Functions)
        {
            imported.Add(OnnxModel.NormalizeDomain(function.Domain));
        }

        foreach (var graph in model.Graph.SelfAndDescendants())
        {
            foreach (var node in graph.Proto.Node)
            {
                var domain = OnnxModel.NormalizeDomain(node.Domain);
                if (!imported.Contains(domain))
                {
                    throw new DeepSeekException(DiagnosticIds.MissingOpsetImport, file,
                        $"node {Names.Quote(node.Name)} ({Names.Quote(node.OpType)}) uses domain {Names.Quote(node.Domain)}, which the model does not import");
                }
            }
        }
    }

    private static void ValidateTensors(OnnxGraph graph, OnnxModel model)
    {
        var directory = model.BaseDirectory;
        var file = model.DisplayPath;
        foreach (var tensor in graph.Proto.Initializer)
        {
            TensorData.Validate(tensor, directory, file);
        }

        foreach (var sparse in graph.Proto.SparseInitializer)
        {
            ValidateSparse(sparse, directory, file);
        }

        foreach (var node in graph.Proto.Node)
        {
            foreach (var attribute in node.Attribute)
            {
                if (attribute.T is not null)
                {
                    TensorData.Validate(attribute.T, directory, file);
                }

                foreach (var tensor in attribute.Tensors)
                {
                    TensorData.Validate(tensor, directory, file);
                }

                if (attribute.SparseTensor is not null)
                {
                    ValidateSparse(attribute.SparseTensor, directory, file);
                }
            }
        }
    }

    private static void ValidateSparse(SparseTensorProto sparse, string? directory, string file)
    {
        TensorData.ElementCount(sparse.Dims, sparse.Values?.Name ?? "", file);
        if (sparse.Values is not null)
        {
            TensorData.Validate(sparse.Values, directory, file);
        }

        if (sparse.Indices is not null)
        {
            TensorData.Validate(sparse.Indices, directory, file);
        }
    }
}
