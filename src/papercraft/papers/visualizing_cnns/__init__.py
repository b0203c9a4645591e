"""Visualizing CNNs: first-layer filters, deconvnet reconstructions, occlusion sensitivity, gradient
saliency, guided backprop and Grad-CAM for any papercraft CNN, scored by a pointing game on digits
placed at known positions."""

from papercraft.papers.visualizing_cnns.canvas import ink_box, place_on_canvas
from papercraft.papers.visualizing_cnns.methods import (
    deconvnet,
    first_layer_filters,
    grad_cam,
    guided_backprop,
    input_gradient,
    occlusion_map,
    pointing_hits,
    relu_backward_rule,
    saliency,
    top_activation_reconstructions,
)

__all__ = ["deconvnet", "first_layer_filters", "grad_cam", "guided_backprop", "input_gradient", "occlusion_map",
           "pointing_hits", "relu_backward_rule", "saliency", "top_activation_reconstructions", "ink_box",
           "place_on_canvas"]
