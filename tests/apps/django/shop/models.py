"""Every Django field type a small shop application uses, for cutover's judge.

Item holds one column of each scalar type; Category refers to itself, Tag has a UUID
primary key and is linked to Item many-to-many, and Order lives in a table named
``order`` (an SQL keyword, quoted by Django on every server).
"""

import uuid

from django.conf import settings
from django.db import models


class Category(models.Model):
    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")

    def __str__(self):
        return self.name


class Tag(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=50)
    weight = models.SmallIntegerField(default=0)

    def __str__(self):
        return self.name


class Item(models.Model):
    id = models.BigAutoField(primary_key=True)
    code = models.CharField(max_length=40, unique=True)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    i32 = models.IntegerField(null=True)
    i64 = models.BigIntegerField(null=True)
    i16 = models.SmallIntegerField(null=True)
    pos32 = models.PositiveIntegerField(null=True)
    pos16 = models.PositiveSmallIntegerField(null=True)
    pos64 = models.PositiveBigIntegerField(null=True)
    flag = models.BooleanField(default=False)
    maybe = models.BooleanField(null=True)
    price = models.DecimalField(max_digits=20, decimal_places=4, null=True)
    ratio = models.FloatField(null=True)
    day = models.DateField(null=True)
    at = models.DateTimeField(null=True)
    clock = models.TimeField(null=True)
    span = models.DurationField(null=True)
    token = models.UUIDField(null=True)
    data = models.JSONField(null=True)
    blob = models.BinaryField(null=True)
    ip = models.GenericIPAddressField(null=True)
    email = models.EmailField(blank=True)
    slug = models.SlugField(blank=True)
    url = models.URLField(blank=True)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    tags = models.ManyToManyField(Tag, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.code


class Order(models.Model):
    item = models.ForeignKey(Item, on_delete=models.PROTECT)
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    quantity = models.PositiveIntegerField(default=1)
    placed_at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        db_table = "order"

    def __str__(self):
        return f"order {self.pk}"
