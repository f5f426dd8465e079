from django.contrib.auth.models import User


def run():
    User.objects.create_superuser("admin", "admin@example.com", "F1eld-Adm1n")
    User.objects.create_user("alice", "alice@example.com", "alice-in-the-field")
    User.objects.create_user("tech01", "tech01@example.com", "Spring2024!")
