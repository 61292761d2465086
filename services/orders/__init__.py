"""Buying licenses: the cart, checkout, placed orders, license assignment and export."""
