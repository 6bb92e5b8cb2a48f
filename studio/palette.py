"""Colours that tell categories apart."""

# matplotlib's tab10: ten colours made to be told apart on white, also by most colour-blind
# readers (a hue circle makes neighbouring classes, say 2 to 5, near twins).
TAB10 = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip
