"""Style transfer (Gatys et al.): a photo takes a painting's style, iteration by iteration."""
