"""The networks of the new classifier kinds: the shapes the source describes, and the split of
feature extraction from the head that explanations rely on."""

import pytest
import torch
from torch import nn

from models.nets.resnet import BasicBlock, ResNet18
from models.nets.vit import Block, VisionTransformer


def test_resnet18_is_the_cifar_variant_with_four_stages_of_two_blocks():
    net = ResNet18(3, 10, width=8)
    stem_conv = net.stem[0]
    assert stem_conv.kernel_size == (3, 3) and stem_conv.stride == (1, 1)
    assert not any(isinstance(m, nn.MaxPool2d) for m in net.modules())
    blocks = [m for m in net.modules() if isinstance(m, BasicBlock)]
    assert len(blocks) == 8
    assert [b.conv2.out_channels for b in blocks] == [8, 8, 16, 16, 32, 32, 64, 64]
    assert [b.conv1.stride[0] for b in blocks] == [1, 1, 2, 1, 2, 1, 2, 1]
    # 17 convolutions and the output layer are the 18 weighted layers (shortcuts not counted).
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3)]
    assert len(convs) == 17


def test_resnet18_at_full_width_has_the_original_size():
    assert sum(p.numel() for p in ResNet18(3, 10).parameters()) == 11_173_962


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32)])
def test_resnet18_features_and_head(shape):
    net = ResNet18(shape[0], 7, width=4).eval()
    images = torch.rand(5, *shape)
    features = net.forward_features(images)
    side = -(-shape[1] // 8)
    assert features.shape == (5, 32, side, side)
    assert net.forward_head(features, pre_logits=True).shape == (5, 32)
    torch.testing.assert_close(net.forward_head(features), net(images))


@pytest.mark.parametrize("stem", ["conv", "shifted", "patch"])
@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32)])
def test_vision_transformer_tokens_are_4x4_patches(stem, shape):
    net = VisionTransformer(shape, 10, dim=32, depth=2, heads=4, stem=stem).eval()
    images = torch.rand(3, *shape)
    tokens = net.forward_features(images)
    side = shape[1] // 4
    assert net.grid == (side, side)
    assert tokens.shape == (3, side * side, 32)
    assert net(images).shape == (3, 10)
    torch.testing.assert_close(net.forward_head(tokens), net(images))


def test_transformer_blocks_normalise_before_attention_and_mlp():
    block = Block(16, 2, 2.0, 0.0).eval()
    x = torch.randn(2, 5, 16) * 3
    # Pre-norm: each branch reads a normalised copy and is added to the untouched stream.
    after_attention = x + block.attention(block.norm1(x))
    expected = after_attention + block.mlp(block.norm2(after_attention))
    torch.testing.assert_close(block(x), expected)


def test_kept_attention_weights_match_the_fused_kernel():
    net = VisionTransformer((1, 28, 28), 10, dim=32, depth=2, heads=4).eval()
    images = torch.rand(2, 1, 28, 28)
    fused = net(images)
    for layer in net.attention_layers():
        layer.keep_weights = True
    explicit = net(images)
    torch.testing.assert_close(explicit, fused, atol=1e-5, rtol=1e-4)
    weights = net.attention_layers()[0].weights
    assert weights.shape == (2, 4, 49, 49)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 4, 49))


def test_building_a_transformer_leaves_its_stems_batch_norm_untrained():
    net = VisionTransformer((3, 32, 32), 10, dim=32, depth=1, heads=4, stem="conv")
    norms = [m for m in net.stem.modules() if isinstance(m, nn.BatchNorm2d)]
    assert norms and all(int(m.num_batches_tracked) == 0 for m in norms)
    assert all(torch.equal(m.running_var, torch.ones_like(m.running_var)) for m in norms)
    assert net.stem.training
