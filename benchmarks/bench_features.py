"""Speed of HOGFeatures and HueHistogram against scikit-image.

Run from the repository root::

    python benchmarks/bench_features.py [--single-only | --batched-only]

Data: 10,000 RGB 32 x 32 patches of real photographs (uint8), from
``sklinear.datasets.load_photo_patches`` (offline), as rows (what a Pipeline
passes).

Batched section: for each setting, the batched transform time, the time of
a Python loop calling scikit-image once per image (on a sample of the
images, scaled to the full count, as the output says), each the best of a
few runs, their ratio measured in this one run, and the largest absolute
difference between the two outputs on the sample.

Single-image section: the per-call time of one image, for ``transform`` on
a fitted transformer and for ``fit_transform`` of a new one, against one
scikit-image call (``hog``, or ``rgb2hsv`` + ``np.histogram``). The three
are timed in interleaved rounds (so each round sees the same machine load);
each ratio is the median over rounds of the round's ratio.

Timings are printed, never asserted: they depend on the machine and its load.
"""

import argparse
import os
import platform
import time

import numpy as np
import skimage
from skimage.color import rgb2hsv
from skimage.feature import hog as skimage_hog

from sklinear.datasets import load_photo_patches
from sklinear.features import HOGFeatures, HueHistogram


def best_time(repeats, function, *args):
    """Smallest wall time of ``repeats`` calls ``function(*args)``, and its result."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        result = function(*args)
        best = min(best, time.perf_counter() - start)
    return best, result


def skimage_hog_loop(images, params):
    return np.array([skimage_hog(image, channel_axis=-1, **params) for image in images])


def skimage_hue(image, n_bins):
    """Hue histogram of one image, as fractions of its pixels."""
    n_pixels = image.shape[0] * image.shape[1]
    hue = rgb2hsv(image / 255)[..., 0]
    return np.histogram(hue, n_bins, range=(0, 1))[0] / n_pixels


def skimage_hue_loop(images, n_bins):
    return np.array([skimage_hue(image, n_bins) for image in images])


def per_call_rounds(functions, n_rounds, calls_per_round):
    """Per-call seconds of each function, ``(n_rounds, n_functions)``.

    Every round times ``calls_per_round`` calls of each function in turn.
    """
    times = np.empty((n_rounds, len(functions)))
    for round_index in range(n_rounds):
        for k, function in enumerate(functions):
            start = time.perf_counter()
            for _ in range(calls_per_round):
                function()
            times[round_index, k] = (time.perf_counter() - start) / calls_per_round
    return times


def compare_single(label, make_transformer, reference, row, args):
    """Print per-call times and ratios for one image, transform and fit_transform."""
    fitted = make_transformer().fit(row)
    max_diff = np.abs(fitted.transform(row)[0] - reference()).max()
    times = per_call_rounds(
        [
            reference,
            lambda: fitted.transform(row),
            lambda: make_transformer().fit_transform(row),
        ],
        args.rounds,
        args.calls,
    )
    ratios = np.median(times[:, 1:] / times[:, :1], axis=0)
    us = 1e6 * np.median(times, axis=0)
    print(
        f"{label}\n"
        f"    scikit-image {us[0]:6.0f} us/call | transform {us[1]:6.0f} us/call, "
        f"ratio {ratios[0]:.2f} | fit_transform {us[2]:6.0f} us/call, "
        f"ratio {ratios[1]:.2f} | max abs diff {max_diff:.3g}"
    )


def report(label, batched_seconds, loop_seconds, n_images, n_sample, max_diff):
    loop_full = loop_seconds * n_images / n_sample
    print(
        f"{label}\n"
        f"    batched transform, {n_images} images: {batched_seconds:8.3f} s "
        f"({1e6 * batched_seconds / n_images:6.1f} us/image)\n"
        f"    scikit-image loop, {n_sample} images:  {loop_seconds:8.3f} s "
        f"-> {loop_full:.2f} s scaled to {n_images} "
        f"({1e6 * loop_seconds / n_sample:6.1f} us/image)\n"
        f"    speed-up: {loop_full / batched_seconds:5.1f}x   "
        f"max abs diff on the {n_sample} sampled images: {max_diff:.3g}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-images", type=int, default=10_000)
    parser.add_argument(
        "--sample",
        type=int,
        default=1_000,
        help="images in the scikit-image reference loop (timing scaled up)",
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="best of this many runs of each side"
    )
    parser.add_argument(
        "--rounds", type=int, default=30, help="interleaved rounds, single images"
    )
    parser.add_argument(
        "--calls", type=int, default=50, help="calls per round, single images"
    )
    sections = parser.add_mutually_exclusive_group()
    sections.add_argument("--single-only", action="store_true")
    sections.add_argument("--batched-only", action="store_true")
    args = parser.parse_args()

    n_per_class = -(-args.n_images // 10)
    patches = load_photo_patches(
        n_train_per_class=n_per_class, n_test_per_class=1, random_state=0
    )
    images = patches.images_train[: args.n_images]
    rows = images.reshape(len(images), -1)  # what a Pipeline passes
    n_images, n_sample = len(images), min(args.sample, len(images))
    sample = images[:n_sample]
    print(
        f"{n_images} RGB 32x32 uint8 photo patches; numpy {np.__version__}, "
        f"scikit-image {skimage.__version__}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs. Each time is the best of {args.repeats} runs; "
        f"the scikit-image loop runs on the first {n_sample} images and its "
        f"time is scaled to {n_images}.\n"
    )

    if not args.single_only:
        batched_section(args, rows, sample, n_images, n_sample)
    if not args.batched_only:
        single_image_section(args, images[0], rows[:1])


def batched_section(args, rows, sample, n_images, n_sample):
    def compare(label, transformer, reference_loop, *loop_args):
        transformer.fit(rows[:1]).transform(rows[:10])  # build lookup tables once
        batched, features = best_time(args.repeats, transformer.transform, rows)
        loop, reference = best_time(args.repeats, reference_loop, sample, *loop_args)
        max_diff = np.abs(features[:n_sample] - reference).max()
        report(label, batched, loop, n_images, n_sample, max_diff)

    for cells_per_block in [(1, 1), (2, 2)]:
        params = dict(pixels_per_cell=(8, 8), cells_per_block=cells_per_block)
        compare(
            f"HOGFeatures(pixels_per_cell=(8, 8), cells_per_block={cells_per_block})",
            HOGFeatures(**params),
            skimage_hog_loop,
            params,
        )
    n_bins = 10
    compare(
        f"HueHistogram(n_bins={n_bins}) vs rgb2hsv + np.histogram",
        HueHistogram(n_bins=n_bins),
        skimage_hue_loop,
        n_bins,
    )


def single_image_section(args, image, row):
    print(
        f"\nOne image per call (the first patch, as a row of {row.shape[1]} "
        f"values): median of {args.rounds} interleaved rounds of {args.calls} "
        "calls each; ratio = sklinear / scikit-image, < 1 is faster."
    )
    for cells_per_block in [(1, 1), (2, 2)]:
        params = dict(pixels_per_cell=(8, 8), cells_per_block=cells_per_block)
        compare_single(
            f"HOGFeatures(pixels_per_cell=(8, 8), cells_per_block={cells_per_block})",
            lambda params=params: HOGFeatures(**params),
            lambda params=params: skimage_hog(image, channel_axis=-1, **params),
            row,
            args,
        )
    n_bins = 10
    compare_single(
        f"HueHistogram(n_bins={n_bins}) vs rgb2hsv + np.histogram",
        lambda: HueHistogram(n_bins=n_bins),
        lambda: skimage_hue(image, n_bins),
        row,
        args,
    )


if __name__ == "__main__":
    main()
