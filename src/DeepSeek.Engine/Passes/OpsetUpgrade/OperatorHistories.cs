using DeepSeek.Onnx.Protobuf;

namespace DeepSeek.Engine.Passes;

/// <content>The operator histories: since-versions and the steps that need a rewrite.</content>
public sealed partial class OpsetUpgradePass
{
    /// <summary>
    /// Since-versions of the default-domain operators up to opset 23 (onnx/defs/operator_sets.h) and the steps that need a
    /// rewrite. Versions without a handler are compatible: the ONNX version converter registers them as
    /// <c>CompatibleAdapter</c> (or as setting an attribute to its default), for types, negative axes, clarifications or new
    /// attributes and optional inputs whose defaults keep the old behaviour.
    /// </summary>
    private static Dictionary<string, Step[]> BuildHistories()
    {
        var histories = new Dictionary<string, Step[]>(StringComparer.Ordinal);

        void Op(string names, int[] versions, params (int Version, Rewrite Handler)[] rewrites)
        {
            if (rewrites.Any(r => !versions.Contains(r.Version)))
            {
                throw new InvalidOperationException($"{names}: a rewrite for a version the operator does not have");
            }

            foreach (var name in names.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                histories.Add(name, versions.Select(v => new Step(v, rewrites.FirstOrDefault(r => r.Version == v).Handler)).ToArray());
            }
        }

        void Unsupported(string name, int[] versions, int version, string reason)
            => histories.Add(name, versions.Select(v => new Step(v, Unsupported: v == version ? reason : null)).ToArray());

        // Element-wise and activations.
        Op("Abs Ceil Floor Exp Log Neg Reciprocal Sqrt Sigmoid Tanh", [1, 6, 13]);
        Op("Relu", [1, 6, 13, 14]);
        Op("Add Sub Mul Div", [1, 6, 7, 13, 14]);
        Op("Pow", [1, 7, 12, 13, 15]);
        Op("Acos Asin Atan Cos Sin Tan", [7, 22]);
        Op("Acosh Asinh Atanh Cosh Sinh", [9, 22]);
        Op("Elu HardSigmoid Selu", [1, 6, 22]);
        Op("Softplus Softsign", [1, 22]);
        Op("LeakyRelu", [1, 6, 16]);
        Op("PRelu", [1, 6, 7, 9, 16]);
        Op("ThresholdedRelu", [10, 22]);
        Op("HardSwish", [14, 22]);
        Op("Mish", [18, 22]);
        Op("Celu", [12]);
        Op("Gelu", [20]);
        Op("Shrink", [9]);
        Op("Erf Sign", [9, 13]);
        Op("IsNaN", [9, 13, 20]);
        Op("IsInf", [10, 20]);
        Op("Mod", [10, 13]);
        Op("Round Det", [11, 22]);
        Op("BitShift", [11]);
        Op("And Or Xor", [1, 7]);
        Op("Not", [1]);
        Op("Equal", [1, 7, 11, 13, 19]);
        Op("Greater Less", [1, 7, 9, 13]);
        Op("GreaterOrEqual LessOrEqual", [12, 16]);
        Op("Where", [9, 16]);
        Op("Max Min", [1, 6, 8, 12, 13]);
        Op("Mean Sum", [1, 6, 8, 13]);
        Op("Clip", [1, 6, 11, 12, 13], (11, ClipAttributesToInputs));

        // Linear algebra, convolution, pooling, normalization.
        Op("MatMul", [1, 9, 13]);
        Op("Gemm", [1, 6, 7, 9, 11, 13]);
        Op("MatMulInteger ConvInteger QLinearConv", [10]);
        Op("QLinearMatMul", [10, 21]);
        Op("Einsum", [12]);
        Op("Conv ConvTranspose", [1, 11, 22]);
        Op("MaxPool", [1, 8, 10, 11, 12, 22]);
        Op("AveragePool", [1, 7, 10, 11, 19, 22]);
        Op("LpPool", [1, 2, 11, 18, 22]);
        Op("GlobalAveragePool GlobalMaxPool MaxRoiPool LpNormalization", [1, 22]);
        Op("GlobalLpPool", [1, 2, 22]);
        Op("MaxUnpool", [9, 11, 22]);
        Op("InstanceNormalization", [1, 6, 22]);
        Op("LRN", [1, 13]);
        Op("MeanVarianceNormalization", [9, 13]);
        Op("LayerNormalization", [17]);
        Op("BatchNormalization", [1, 6, 7, 9, 14, 15], (9, BatchNormalizationWithoutSpatial), (14, BatchNormalizationInferenceOutputs));
        Unsupported("GroupNormalization", [18, 21], 21, "changed scale and bias from one value per group to one per channel");
        Op("Dropout", [1, 6, 7, 10, 12, 13, 22], (10, DropoutToIdentity), (12, DropoutToIdentity));
        Op("Softmax LogSoftmax Hardmax", [1, 11, 13], (13, SoftmaxAlongAxis));
        Op("RNN LSTM", [1, 7, 14, 22]);
        Op("GRU", [1, 3, 7, 14, 22]);

        // Shapes and data movement.
        Op("Identity", [1, 13, 14, 16, 19, 21, 23]);
        Op("Cast", [1, 6, 9, 13, 19, 21, 23]);
        Op("CastLike", [15, 19, 21, 23]);
        Op("Constant", [1, 9, 11, 12, 13, 19, 21, 23]);
        Op("ConstantOfShape", [9, 20, 21, 23]);
        Op("Shape", [1, 13, 15, 19, 21, 23]);
        Op("Size", [1, 13, 19, 21, 23]);
        Op("Reshape", [1, 5, 13, 14, 19, 21, 23]);
        Op("Flatten", [1, 9, 11, 13, 21, 23]);
        Op("Transpose", [1, 13, 21, 23]);
        Op("Squeeze Unsqueeze", [1, 11, 13, 21, 23], (13, AxesAttributeToInput));
        Op("Concat", [1, 4, 11, 13]);
        Op("Split", [1, 2, 11, 13, 18], (13, SplitAttributeToInput), (18, SplitNumOutputs));
        Op("Slice", [1, 10, 11, 13], (10, SliceAttributesToInputs));
        Op("Pad", [1, 2, 11, 13, 18, 19, 21, 23], (11, PadAttributesToInputs));
        Op("Tile", [1, 6, 13]);
        Op("Expand", [8, 13]);
        Op("Gather", [1, 11, 13]);
        Op("GatherElements", [11, 13]);
        Op("GatherND", [11, 12, 13]);
        Op("ScatterElements ScatterND", [11, 13, 16, 18]);
        Op("Scatter", [9, 11], (11, ScatterToScatterElements));
        Op("DepthToSpace", [1, 11, 13]);
        Op("SpaceToDepth", [1, 13]);
        Op("Compress", [9, 11]);
        Op("OneHot", [9, 11]);
        Op("NonZero", [9, 13]);
        Op("EyeLike", [9, 22]);
        Op("Range Unique", [11]);
        Op("CumSum", [11, 14]);
        Op("Trilu", [14]);
        Op("ReverseSequence", [10]);
        Op("TopK", [1, 10, 11], (10, TopKAttributeToInput));
        Op("ArgMax ArgMin", [1, 11, 12, 13]);
        Op("ReduceSum", [1, 11, 13], (13, AxesAttributeToInput));
        Op("ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp ReduceMean ReduceProd ReduceSumSquare", [1, 11, 13, 18], (18, AxesAttributeToInput));
        Op("ReduceMax ReduceMin", [1, 11, 12, 13, 18, 20], (18, AxesAttributeToInput));
        Op("Upsample", [1, 7, 9, 10], (9, UpsampleScalesToInput), (10, UpsampleToResize));
        Op("Resize", [10, 11, 13, 18, 19], (11, ResizeWithRoiAndAsymmetricCoordinates));
        Op("GridSample", [16, 20, 22], (20, GridSampleModeNames));
        Op("RoiAlign", [10, 16, 22], (16, RoiAlignOutputHalfPixel));
        Op("NonMaxSuppression", [10, 11]);

        // Quantization.
        Op("QuantizeLinear DequantizeLinear", [10, 13, 19, 21, 23]);
        Op("DynamicQuantizeLinear", [11]);

        // Control flow (their subgraphs are upgraded too) and sequences.
        Op("If Loop", [1, 11, 13, 16, 19, 21, 23]);
        Unsupported("Scan", [8, 9, 11, 16, 19, 21, 23], 9, "removed the batch dimension and the sequence_lens input, which has no automatic rewrite");
        Op("SequenceAt SequenceConstruct SequenceEmpty SequenceErase SequenceInsert SequenceLength SplitToSequence ConcatFromSequence", [11]);

        // Random numbers.
        Op("RandomNormal RandomUniform RandomNormalLike RandomUniformLike", [1, 22]);
        Op("Multinomial", [7, 22]);
        Op("Bernoulli", [15, 22]);

        Unsupported("DFT", [17, 20], 20, "moved 'axis' from an attribute to an input with another default");
        return histories;
    }

}
