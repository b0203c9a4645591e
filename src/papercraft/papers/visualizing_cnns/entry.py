"""The ``visualizing-cnns`` entry's declaration: what the paper claims, its numbers, the experiments and
their presets. Read by the registry; imports no torch."""

from papercraft.registry import Entry, Experiment, Headline, PaperNumber, Preset

ENTRY = Entry(
    id="visualizing-cnns",
    title="Visualizing and Understanding Convolutional Networks (with saliency, guided backprop, Grad-CAM)",
    authors="Zeiler & Fergus; Simonyan et al.; Springenberg et al.; Selvaraju et al.",
    year=2013,
    arxiv="1311.2901",
    claim="Occlusion and gradient-based maps localize the evidence a CNN uses, and occluding the object drops the class probability.",
    paper_numbers=(
        PaperNumber("occlusion", "probability of the true class drops when the object is covered", "Fig. 7"),
    ),
    implements=(
        "first-layer filter images",
        "deconvnet reconstructions of the strongest activations per channel (switch un-pooling, rectified signal, transposed filters = backprop with the deconvnet ReLU rule)",
        "occlusion sensitivity maps (grey square slid over the image, drop in p(class))",
        "gradient saliency (Simonyan et al.), guided backprop (Springenberg et al.), Grad-CAM (Selvaraju et al.)",
        "all methods for any papercraft CNN (ReLU rules swapped in for F.relu / nn.ReLU)",
        "the pointing game on MNIST digits placed at known positions on a cluttered 56-px canvas",
    ),
    deviations=(
        "a small ZFNet-style network on 56-px MNIST canvases instead of ZFNet on ImageNet",
        "the deconvnet passes back through max pooling and convolutions exactly as autograd does (switches, transposed filters); the network has no contrast normalization, so there is nothing to invert there",
        "the full preset trains 15 epochs, raised from 6 after a first full run left the network under-trained (its log is kept in results/visualizing-cnns/first-full-run-log.txt); criteria and thresholds were not changed",
    ),
    headline=Headline("pointing_grad_cam", "Grad-CAM pointing-game accuracy", unit="%", scale=100, digits=3),
    builds_on=("cnn-case-study",),
    experiments=(
        Experiment(
            name="pointing-game",
            description="Train a CNN on digits pasted at random places of cluttered canvases; score each method's map by the pointing game against a random map; occlude the digit (Fig. 7).",
            target="papercraft.papers.visualizing_cnns.experiment:run",
            presets={
                "quick": Preset(
                    params={
                        "n_train": 300,
                        "n_test": 100,
                        "canvas": 56,
                        "clutter": 3,
                        "epochs": 1,
                        "batch_size": 50,
                        "lr": 0.002,
                        "n_maps": 8,
                        "occlusion_patch": 14,
                        "occlusion_stride": 7,
                        "n_deconv_images": 20,
                    },
                    budget_s=30,
                    description="300 canvases, 1 epoch, 8 maps per method",
                    threads=1,
                ),
                "full": Preset(
                    params={
                        "n_train": 8000,
                        "n_test": 2000,
                        "canvas": 56,
                        "clutter": 3,
                        "epochs": 15,
                        "batch_size": 64,
                        "lr": 0.002,
                        "n_maps": 300,
                        "occlusion_patch": 12,
                        "occlusion_stride": 4,
                        "n_deconv_images": 500,
                    },
                    budget_s=900,
                    description="8,000 canvases, 15 epochs, 300 maps per method",
                    threads=1,
                ),
            },
        ),
    ),
)
