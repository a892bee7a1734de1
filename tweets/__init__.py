"""The social layer: tweets, replies, likes, follows and the home timeline."""
