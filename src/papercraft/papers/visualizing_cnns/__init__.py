"""Visualizing CNNs: first-layer filters, deconvnet reconstructions, occlusion sensitivity, gradient
saliency, guided backprop and Grad-CAM for any papercraft CNN, scored by a pointing game on digits
placed at known positions."""

from papercraft.lazy import lazy_exports

# Public names and the module defining each, imported on first use (no torch at import time).
_EXPORTS = {
    'canvas_cnn': 'network',
    'last_conv_relu': 'network',
    'ink_box': 'canvas',
    'place_on_canvas': 'canvas',
    'place_with_distractors': 'canvas',
    'ink_map': 'methods',
    'deconvnet': 'methods',
    'first_layer_filters': 'methods',
    'grad_cam': 'methods',
    'guided_backprop': 'methods',
    'input_gradient': 'methods',
    'occlusion_map': 'methods',
    'pointing_hits': 'methods',
    'relu_backward_rule': 'methods',
    'saliency': 'methods',
    'top_activation_reconstructions': 'methods',
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
__all__ = ['deconvnet', 'first_layer_filters', 'grad_cam', 'guided_backprop', 'input_gradient', 'occlusion_map', 'pointing_hits', 'relu_backward_rule', 'saliency', 'top_activation_reconstructions', 'ink_box', 'ink_map', 'place_on_canvas', 'place_with_distractors', 'canvas_cnn', 'last_conv_relu']
