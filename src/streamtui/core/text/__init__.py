"""Text from strangers made safe and readable: sanitising, HTML to blocks and text, links."""
