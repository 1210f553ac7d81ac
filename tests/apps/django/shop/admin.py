from django.contrib import admin

from .models import Category, Item, Order, Tag

for model in (Category, Item, Order, Tag):
    admin.site.register(model)
