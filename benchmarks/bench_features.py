"""Speed of HOGFeatures and HueHistogram against per-image scikit-image loops.

Run from the repository root::

    python benchmarks/bench_features.py

Data: 10,000 RGB 32 x 32 patches of real photographs (uint8), from
``sklinear.datasets.load_photo_patches`` (offline). For each setting it
prints the batched transform time, the time of a Python loop calling
scikit-image once per image (on a sample of the images, scaled to the full
count, as the output says), each the best of a few runs, their ratio
measured in this one run, and the largest absolute difference between the
two outputs on the sample.
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


def skimage_hue_loop(images, n_bins):
    n_pixels = images.shape[1] * images.shape[2]
    counts = [
        np.histogram(rgb2hsv(image / 255)[..., 0], n_bins, range=(0, 1))[0]
        for image in images
    ]
    return np.array(counts) / n_pixels


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


if __name__ == "__main__":
    main()
