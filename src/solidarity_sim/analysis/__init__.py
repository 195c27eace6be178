"""What the runs say: comparisons, sensitivity indices, validation, calibration and retention."""
