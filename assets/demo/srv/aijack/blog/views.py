from django.shortcuts import get_object_or_404
from django.views.generic import DetailView, ListView

from .models import Post


class PostListView(ListView):
    queryset = Post.objects.filter(published=True)
    paginate_by = 10


class PostDetailView(DetailView):
    def get_object(self, queryset=None):
        return get_object_or_404(Post, slug=self.kwargs["slug"], published=True)
