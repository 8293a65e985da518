"""Tests of the Grad-CAM paper's localisation (numpy_gradcam.evaluation.localization)."""

import numpy as np
import pytest

from numpy_gradcam.evaluation.localization import (
    binarize,
    bounding_boxes,
    box_iou,
    box_masks,
    largest_component_boxes,
    localization,
)


def test_bounding_boxes_are_inclusive_and_empty_is_minus_one():
    masks = np.zeros((2, 6, 7), dtype=bool)
    masks[0, 2:5, 1:4] = True
    masks[0, 1, 3] = True
    np.testing.assert_array_equal(bounding_boxes(masks), [[1, 1, 4, 3], [-1, -1, -1, -1]])


def test_box_iou_of_hand_made_boxes():
    a = np.array([[0, 0, 1, 1], [0, 0, 3, 3], [0, 0, 1, 1], [-1, -1, -1, -1]])
    b = np.array([[1, 1, 2, 2], [0, 0, 3, 3], [5, 5, 6, 6], [0, 0, 1, 1]])
    # 1 shared pixel of 4 + 4 - 1 = 7; identical; disjoint; empty
    np.testing.assert_allclose(box_iou(a, b), [1 / 7, 1.0, 0.0, 0.0])


def test_box_masks_round_trip():
    boxes = np.array([[1, 2, 3, 2]])
    m = box_masks(boxes, (5, 5))
    assert m.sum() == 3 and m[0, 1:4, 2].all()
    np.testing.assert_array_equal(bounding_boxes(m), boxes)


def test_binarize_at_15_percent_of_the_maximum():
    maps = np.array([[[1.0, 0.15, 0.149, 0.0]], [[0.0, 0.0, 0.0, 0.0]]])
    np.testing.assert_array_equal(binarize(maps), [[[True, True, False, False]],
                                                   [[False, False, False, False]]])


def test_the_largest_4_connected_segment_is_boxed():
    binary = np.zeros((1, 8, 8), dtype=bool)
    binary[0, 0:2, 0:2] = True        # 4 pixels
    binary[0, 4:7, 4:7] = True        # 9 pixels: the largest
    binary[0, 3, 3] = True            # touches (4, 4) only diagonally: its own segment
    np.testing.assert_array_equal(largest_component_boxes(binary), [[4, 4, 6, 6]])


def test_hand_made_box_case():
    # object: rows 2-5, cols 3-6 (16 px). Map: 1 on rows 2-5, cols 3-8 (24 px), a weak 0.1 blob
    # elsewhere (below 15 %), and a separate small bright blob that is not the largest segment.
    masks = np.zeros((1, 10, 12), dtype=bool)
    masks[0, 2:6, 3:7] = True
    maps = np.full((1, 10, 12), 0.1)
    maps[0, 2:6, 3:9] = 1.0
    maps[0, 8:10, 0:2] = 0.9
    out = localization(maps, masks)
    np.testing.assert_allclose(out["box_iou"], [16 / 24])
    np.testing.assert_array_equal(out["hit"], [True])
    # mask IoU uses the whole binarised map: 16 / (24 + 4)
    np.testing.assert_allclose(out["mask_iou"], [16 / 28])


def test_a_box_twice_too_wide_and_tall_misses():
    masks = np.zeros((1, 12, 12), dtype=bool)
    masks[0, 4:8, 4:8] = True                       # 16 px
    maps = np.zeros((1, 12, 12))
    maps[0, 2:10, 2:10] = 1.0                       # 64 px around it: IoU 0.25
    out = localization(maps, masks)
    np.testing.assert_allclose(out["box_iou"], [0.25])
    assert not out["hit"][0]


def test_wrong_mask_shape_is_refused():
    with pytest.raises(ValueError, match="masks must have the shape"):
        localization(np.zeros((1, 4, 4)), np.zeros((1, 4, 3), dtype=bool))


def test_two_equal_largest_segments_go_to_the_first_in_row_major_order():
    binary = np.zeros((1, 9, 9), dtype=bool)
    binary[0, 6:8, 0:2] = True        # 4 pixels, lower left: labelled second
    binary[0, 1:3, 5:7] = True        # 4 pixels, upper right: labelled first
    np.testing.assert_array_equal(largest_component_boxes(binary), [[1, 5, 2, 6]])
    # so an object under the first one is a hit, one under the second a miss
    masks = np.repeat(binary, 2, axis=0)
    masks[0, 6:8, 0:2] = masks[1, 1:3, 5:7] = False
    out = localization(np.repeat(binary.astype(float), 2, axis=0), masks)
    np.testing.assert_array_equal(out["hit"], [True, False])
    np.testing.assert_allclose(out["box_iou"], [1.0, 0.0])
    np.testing.assert_allclose(out["mask_iou"], [0.5, 0.5])
