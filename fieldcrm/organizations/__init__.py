"""Organizations and constituencies: groups people belong to, and their roles in them."""
