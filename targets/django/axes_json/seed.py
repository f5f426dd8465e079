from django.contrib.auth.models import User


def run():
    User.objects.create_superuser("admin", "admin@example.com", "W4rehouse-Adm1n")
    User.objects.create_user("root", "root@example.com", "r00t-but-not-really")
    User.objects.create_user("picker7", "picker7@example.com", "Autumn2024!")
