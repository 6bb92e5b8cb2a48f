"""The Image to image page: enlarge a picture with an upscaler run, or paint it in a style."""
