"""Single-object localization: classify the one object in an image and regress its box
(cs231n lecture "Detection and Localization"; the two-headed network of OverFeat, Sermanet et al.
2014, arXiv 1312.6229, §4, with an IoU-based box loss).

A CNN backbone (ResNet basic blocks, He et al. 2015) pooled to one vector feeds two heads:

- class scores ``z ∈ R^K``, trained with cross-entropy;
- a box ``b̂ = (cx, cy, w, h)`` as fractions of the image (a sigmoid each), turned into xyxy
  pixels, trained with ``L_GIoU(b̂, b) + λ_L1 · |b̂ - b|₁ / S`` (Rezatofighi et al. 2019; the L1
  term on coordinates scaled by the image side ``S``, as DETR combines the two).

    L = CE(z, c) + λ_box (L_GIoU + λ_L1 L1)

The parameterization keeps ``x2 >= x1`` and ``y2 >= y1`` by construction, so the GIoU is always
defined. Accuracy is measured as classification accuracy, mean IoU with the true box, and the
fraction of images where the box's IoU exceeds 0.5 (the PASCAL criterion for a correct
localization).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from papercraft.papers.localization.boxes import aligned_box_iou, check_boxes, giou_loss
from papercraft.papers.resnet.model import BasicBlock


@dataclass(frozen=True)
class LocalizerConfig:
    """``num_classes`` K; ``widths`` of the stages (stride 2 each, after a stride-2 stem);
    ``box_weight`` λ_box and ``l1_weight`` λ_L1 of the loss."""

    num_classes: int
    widths: tuple[int, ...] = (16, 32, 64, 64)
    box_weight: float = 2.0
    l1_weight: float = 1.0

    def __post_init__(self) -> None:
        if not isinstance(self.num_classes, int) or self.num_classes < 1:
            raise ValueError(f"num_classes must be a positive int, got {self.num_classes!r}")
        if not self.widths or any(not isinstance(w, int) or w < 1 for w in self.widths):
            raise ValueError(f"widths must be positive ints, got {self.widths!r}")
        if self.box_weight < 0 or self.l1_weight < 0:
            raise ValueError(f"box_weight and l1_weight must be >= 0, got {self.box_weight}, {self.l1_weight}")


class Localizer(nn.Module):
    """Images ``[B, 3, S, S]`` → ``(class logits [B, K], boxes [B, 4] xyxy pixels)``."""

    def __init__(self, config: LocalizerConfig) -> None:
        super().__init__()
        self.config = config
        w = config.widths
        layers: list[nn.Module] = [nn.Conv2d(3, w[0], 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(w[0]),
                                   nn.ReLU(inplace=True)]
        cin = w[0]
        for width in w:
            layers.append(BasicBlock(cin, width, stride=2))
            cin = width
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(cin, config.num_classes)
        self.regressor = nn.Sequential(nn.Linear(cin, cin), nn.ReLU(inplace=True), nn.Linear(cin, 4))

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if images.dim() != 4 or images.shape[1] != 3 or images.shape[2] != images.shape[3]:
            raise ValueError(f"images must have shape [B, 3, S, S] (square), got {tuple(images.shape)}")
        side = images.shape[-1]
        pooled = self.features(images).mean(dim=(2, 3))
        cx, cy, bw, bh = torch.sigmoid(self.regressor(pooled)).unbind(dim=1)
        boxes = torch.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], dim=1) * side
        return self.classifier(pooled), boxes


def localization_loss(logits: torch.Tensor, boxes: torch.Tensor, labels: torch.Tensor, target_boxes: torch.Tensor,
                      image_side: int, config: LocalizerConfig) -> tuple[torch.Tensor, dict[str, float]]:
    """``CE + λ_box (L_GIoU + λ_L1 L1)`` for ``logits [B, K]``, ``boxes [B, 4]``, ``labels [B]``,
    ``target_boxes [B, 4]`` (xyxy pixels); returns the loss and its parts with batch metrics."""
    check_boxes(target_boxes, "target_boxes", ndim=2)
    if logits.shape[0] != labels.shape[0] or boxes.shape != target_boxes.shape:
        raise ValueError(f"batch mismatch: logits {tuple(logits.shape)}, labels {tuple(labels.shape)}, "
                         f"boxes {tuple(boxes.shape)}, target_boxes {tuple(target_boxes.shape)}")
    ce = F.cross_entropy(logits, labels)
    giou = giou_loss(boxes, target_boxes)
    l1 = (boxes - target_boxes).abs().sum(dim=1).mean() / image_side
    loss = ce + config.box_weight * (giou + config.l1_weight * l1)
    with torch.no_grad():
        iou = aligned_box_iou(boxes.detach(), target_boxes)
    return loss, {"ce": ce.item(), "giou_loss": giou.item(), "l1": l1.item(),
                  "accuracy": (logits.argmax(1) == labels).float().mean().item(), "mean_iou": iou.mean().item()}


@torch.no_grad()
def localization_scores(model: Localizer, images: torch.Tensor, labels: torch.Tensor, target_boxes: torch.Tensor,
                        batch_size: int = 256) -> dict[str, float]:
    """Accuracy, mean IoU and the fraction with IoU > 0.5 (and with the class right too) on
    ``images [N, 3, S, S]``; the model is evaluated in eval mode and its mode restored."""
    was = model.training
    model.eval()
    correct, ious = [], []
    for start in range(0, len(images), batch_size):
        logits, boxes = model(images[start:start + batch_size])
        correct.append(logits.argmax(1) == labels[start:start + batch_size])
        ious.append(aligned_box_iou(boxes, target_boxes[start:start + batch_size]))
    model.train(was)
    correct_all, iou = torch.cat(correct), torch.cat(ious)
    return {"accuracy": correct_all.float().mean().item(), "mean_iou": iou.mean().item(),
            "iou_above_half": (iou > 0.5).float().mean().item(),
            "correct_and_iou_above_half": (correct_all & (iou > 0.5)).float().mean().item()}
